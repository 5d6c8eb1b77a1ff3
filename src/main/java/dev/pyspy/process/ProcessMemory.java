package dev.pyspy.process;

import java.nio.ByteBuffer;

/**
 * Read-only access to another address space. Implementations never write to it.
 * All multi-byte values are little-endian (x86_64 / aarch64 targets).
 */
public interface ProcessMemory {

    /**
     * Copies {@code length} bytes at {@code address} into {@code dst} starting at its position 0;
     * on return dst's position is 0 and its limit {@code length}. Fails unless every byte was read.
     */
    void read(long address, ByteBuffer dst, int length) throws MemoryReadException;

    /**
     * Reads several ranges with as few system calls as possible; {@code dsts[i]} receives
     * {@code lengths[i]} bytes from {@code addresses[i]} as in {@link #read}.
     */
    default void readAll(long[] addresses, ByteBuffer[] dsts, int[] lengths, int count) throws MemoryReadException {
        for (int i = 0; i < count; i++) {
            read(addresses[i], dsts[i], lengths[i]);
        }
    }

    /** Number of read system calls issued so far (for the benchmark's reads-per-sample figure). */
    long readCalls();
}
