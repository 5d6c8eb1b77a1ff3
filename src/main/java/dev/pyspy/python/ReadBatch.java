package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;

/**
 * One batched read of the walker: what to read where, handed to {@link ProcessMemory#readAll} as one
 * call. The arrays are reused from read to read; they hold nothing between reads.
 */
final class ReadBatch {
    long[] addresses = new long[0];
    ByteBuffer[] buffers = new ByteBuffer[0];
    int[] lengths = new int[0];
    /** Per entry, what the caller reads it for (the walker: the thread's index). */
    int[] owners = new int[0];

    /** Makes room for {@code n} entries. */
    void ensure(int n) {
        if (addresses.length < n + 2) {
            resize(Math.max(n + 2, addresses.length * 2));
        }
    }

    /** The arrays, empty, at {@code size} entries. */
    void resize(int size) {
        addresses = new long[size];
        buffers = new ByteBuffer[size];
        lengths = new int[size];
        owners = new int[size];
    }

    /** Puts a read at entry {@code k}; returns the next entry. */
    int add(int k, long address, ByteBuffer buffer, int length) {
        addresses[k] = address;
        buffers[k] = buffer;
        lengths[k] = length;
        return k + 1;
    }

    /** Reads the first {@code count} entries. */
    void read(ProcessMemory memory, int count) throws MemoryReadException {
        memory.readAll(addresses, buffers, lengths, count);
    }
}
