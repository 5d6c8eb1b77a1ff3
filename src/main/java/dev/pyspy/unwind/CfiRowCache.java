package dev.pyspy.unwind;

import dev.pyspy.util.Hashing;

/**
 * The CFI rows of one process's unwinds, by runtime address: a program's threads stand at the same
 * few call sites sample after sample, so each address's row is worked out once ({@link CfiRow#compute}
 * runs its function's CFI program from the start, long in an interpreter loop) and then only looked
 * up. An entry counts only for the module it was worked out in (a library unloaded and another
 * mapped at its address has other rows). Bounded: full, it starts over, keeping its row objects.
 * Open addressing, linear probing; not thread-safe (one per unwinder).
 */
final class CfiRowCache {

    static final int MAX_ENTRIES = 4096;
    private static final int SLOTS = MAX_ENTRIES * 2;

    /** 0: an empty slot (address 0 is never unwound). */
    private final long[] keys = new long[SLOTS];
    private final Object[] owners = new Object[SLOTS];
    private final CfiRow[] rows = new CfiRow[SLOTS];
    private int size;

    /** The row kept for {@code pc} in {@code owner}, or null. */
    CfiRow get(long pc, Object owner) {
        for (int i = slot(pc); keys[i] != 0; i = (i + 1) & (SLOTS - 1)) {
            if (keys[i] == pc) {
                return owners[i] == owner ? rows[i] : null;
            }
        }
        return null;
    }

    /** Keeps a copy of {@code row}'s rules for {@code pc} in {@code owner} (replacing another owner's); returns the copy. */
    CfiRow put(long pc, Object owner, CfiRow row) {
        int i = slot(pc);
        while (keys[i] != 0 && keys[i] != pc) {
            i = (i + 1) & (SLOTS - 1);
        }
        if (keys[i] == 0) {
            if (size == MAX_ENTRIES) {
                clear();
                return put(pc, owner, row);
            }
            size++;
            keys[i] = pc;
        }
        if (rows[i] == null) {
            rows[i] = new CfiRow();
        }
        rows[i].copyFrom(row);
        owners[i] = owner;
        return rows[i];
    }

    int size() {
        return size;
    }

    private void clear() {
        java.util.Arrays.fill(keys, 0L);
        java.util.Arrays.fill(owners, null);
        size = 0;
    }

    private static int slot(long pc) {
        return Hashing.mix(pc) & (SLOTS - 1);
    }
}
