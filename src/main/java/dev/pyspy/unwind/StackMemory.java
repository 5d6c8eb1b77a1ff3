package dev.pyspy.unwind;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A thread's stack as the unwinder reads it: copied in bulk from the stack pointer upwards (a first
 * window, then larger ones only if the frames go deeper), so an unwind costs one or two
 * {@code process_vm_readv} calls rather than one per saved word. Words outside the stack (rare: a
 * signal frame's saved context elsewhere) are read one at a time. Reused across threads and samples.
 */
final class StackMemory {

    static final int FIRST_WINDOW = 32 * 1024;
    static final int MAX_WINDOW = 1024 * 1024;

    private final ProcessMemory memory;
    private ByteBuffer window = ByteBuffer.allocateDirect(FIRST_WINDOW).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer word = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
    private long base;
    private long limit;
    private long stackEnd;
    private long bulkReads;

    StackMemory(ProcessMemory memory) {
        this.memory = memory;
    }

    /** Starts a thread: its stack pointer and the end of the mapping that holds its stack (0 if unknown). */
    void reset(long sp, long end) {
        base = sp & ~7L;
        limit = base;
        stackEnd = Long.compareUnsigned(end, base) > 0 ? end : base + FIRST_WINDOW;
    }

    long readLong(long address) {
        // user-space addresses are below 2^47: signed comparisons are safe
        long offset = address - base;
        if (offset >= 0 && offset + 8 <= limit - base) {
            return window.getLong((int) offset);
        }
        if (offset >= 0 && address + 8 <= stackEnd && grow(address + 8)) {
            return window.getLong((int) (address - base));
        }
        try {
            memory.read(address, word, 8);
        } catch (MemoryReadException e) {
            throw new CfiException(String.format("cannot read 0x%x", address));
        }
        return word.getLong(0);
    }

    /** Copies the stack up to at least {@code needed}, doubling the window; false past {@link #MAX_WINDOW}. */
    private boolean grow(long needed) {
        long size = limit == base ? FIRST_WINDOW : (limit - base) * 2;
        while (size < needed - base) {
            size *= 2;
        }
        if (size > MAX_WINDOW) {
            return false;
        }
        size = Math.min(size, stackEnd - base);
        if (size > window.capacity()) {
            window = ByteBuffer.allocateDirect((int) Math.max(size, window.capacity() * 2L))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            memory.read(base, window, (int) size);
        } catch (MemoryReadException e) {
            return false;
        }
        bulkReads++;
        limit = base + size;
        return Long.compareUnsigned(needed, limit) <= 0;
    }

    long bulkReads() {
        return bulkReads;
    }
}
