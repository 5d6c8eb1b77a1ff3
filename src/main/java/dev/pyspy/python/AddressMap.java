package dev.pyspy.python;

import dev.pyspy.util.Hashing;

import java.util.Arrays;

/** Open-addressing map from addresses to values: lookups on the sampling path allocate nothing. */
final class AddressMap<V> {
    private long[] keys;
    private Object[] values;
    private int size;

    AddressMap() {
        keys = new long[256];
        values = new Object[256];
    }

    @SuppressWarnings("unchecked")
    V get(long key) {
        if (key == 0) {
            return null;
        }
        int mask = keys.length - 1;
        for (int i = Hashing.mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return (V) values[i];
            }
            if (k == 0) {
                return null;
            }
        }
    }

    /** Address 0 is never stored (it is the empty marker). */
    void put(long key, V value) {
        if (key == 0) {
            return;
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
            if (keys[i] == 0) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    int size() {
        return size;
    }

    void clear() {
        Arrays.fill(keys, 0);
        Arrays.fill(values, null);
        size = 0;
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new Object[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                put(oldKeys[i], (V) oldValues[i]);
            }
        }
    }
}
