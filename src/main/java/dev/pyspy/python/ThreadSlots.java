package dev.pyspy.python;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** The walker's {@link ThreadSlot}s, by the thread's index in the snapshot: grown as threads appear. */
final class ThreadSlots {
    private int threadStateSize;
    private ThreadSlot[] slots = new ThreadSlot[0];

    ThreadSlots(int threadStateSize) {
        this.threadStateSize = threadStateSize;
    }

    ThreadSlot get(int i) {
        return slots[i];
    }

    int capacity() {
        return slots.length;
    }

    /** Makes slots up to index {@code n - 1}. */
    void ensure(int n) {
        if (slots.length >= n) {
            return;
        }
        int size = Math.max(n, slots.length * 2);
        int old = slots.length;
        slots = Arrays.copyOf(slots, size);
        for (int i = old; i < size; i++) {
            slots[i] = new ThreadSlot(threadStateSize);
        }
    }

    /** Thread states are read through {@code size} bytes from now on (by the next walk). */
    void widenThreadStates(int size) {
        if (size <= threadStateSize) {
            return;
        }
        threadStateSize = size;
        for (ThreadSlot slot : slots) {
            slot.threadState = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * Gives back the slots of threads that are gone once far more slots exist than threads (after a
     * program ended thousands of threads, or a garbage thread list was read); returns whether it did.
     */
    boolean trim(int threads) {
        int keep = Math.max(64, 2 * threads);
        if (slots.length <= 4 * keep) {
            return false;
        }
        slots = Arrays.copyOf(slots, keep);
        return true;
    }
}
