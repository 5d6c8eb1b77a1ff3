package dev.pyspy.util;

import java.util.Arrays;

/** Open-addressing map from long keys to int values, so lookups on the sampling path allocate nothing. */
public final class LongIntMap {
    private static final long EMPTY = Long.MIN_VALUE;
    private long[] keys;
    private int[] values;
    private int size;

    public LongIntMap(int capacity) {
        int n = Integer.highestOneBit(Math.max(16, capacity) * 2 - 1);
        keys = new long[n];
        values = new int[n];
        Arrays.fill(keys, EMPTY);
    }

    /** The value for {@code key}, or {@code missing}. */
    public int get(long key, int missing) {
        int mask = keys.length - 1;
        for (int i = Hashing.mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return missing;
            }
        }
    }

    public void put(long key, int value) {
        if (key == EMPTY) {
            throw new IllegalArgumentException("reserved key");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = Hashing.mix(key) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            if (keys[i] == EMPTY) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    public int size() {
        return size;
    }

    /** Forgets every entry, keeping the table's size. */
    public void clear() {
        if (size > 0) {
            Arrays.fill(keys, EMPTY);
            size = 0;
        }
    }

    /** Adds {@code delta} to the value of {@code key} (absent counts as 0). */
    public void add(long key, int delta) {
        put(key, get(key, 0) + delta);
    }

    /** Calls {@code visitor} for every entry, in no particular order. */
    public void forEach(EntryVisitor visitor) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY) {
                visitor.visit(keys[i], values[i]);
            }
        }
    }

    /** Receives one entry of the map. */
    @FunctionalInterface
    public interface EntryVisitor {
        void visit(long key, int value);
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
