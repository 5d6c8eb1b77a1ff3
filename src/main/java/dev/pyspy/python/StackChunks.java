package dev.pyspy.python;

import dev.pyspy.process.Memory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A thread's data stack (3.11+): interpreter frames live in chunks ({@code _PyStackChunk}: previous,
 * size, top, data) hanging off {@code PyThreadState.datastack_chunk}. Copying the used part of each
 * chunk with one read lets the walker decode every frame in it from local memory, instead of one
 * read per frame.
 */
final class StackChunks {
    private static final int CHUNK_PREVIOUS = 0;
    private static final int CHUNK_SIZE = 8;
    /** Chunks beyond this many bytes in total are not copied; their frames are read one by one. */
    private static final int MAX_COPY = 8 << 20;
    private static final int MAX_CHUNKS = 256;

    private final Memory memory;
    private final ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer copy = ByteBuffer.allocate(32 << 10).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer piece = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
    private final long[] starts = new long[MAX_CHUNKS];
    private final int[] lengths = new int[MAX_CHUNKS];
    private final int[] offsets = new int[MAX_CHUNKS];
    private int count;
    private int used;

    StackChunks(Memory memory) {
        this.memory = memory;
    }

    private long pendingChunk;
    private int pendingLength;

    /**
     * Prepares to copy one thread's chunks; returns how many bytes of the current chunk the caller
     * should read (batched with other threads) into {@link #buffer()} at position 0, or 0 when
     * {@link #complete()} is to read everything itself.
     */
    int prepare(long chunk, long top) {
        count = 0;
        used = 0;
        pendingChunk = chunk;
        pendingLength = 0;
        if (chunk != 0 && top > chunk + 16 && top - chunk <= MAX_COPY) {
            pendingLength = (int) (top - chunk);
            ensureCapacity(pendingLength);
        }
        return pendingLength;
    }

    /** After the batched read: checks the current chunk and copies older chunks (deep stacks). */
    void complete() throws MemoryReadException {
        copy.clear(); // the batched read left the limit at the current chunk's length
        long chunk = pendingChunk;
        if (chunk == 0) {
            return;
        }
        if (pendingLength > 0) {
            long size = copy.getLong(CHUNK_SIZE);
            if (size < pendingLength || size > MAX_COPY) {
                return; // not a chunk after all (the thread changed under us): read frames one by one
            }
            add(chunk, pendingLength);
            chunk = copy.getLong(CHUNK_PREVIOUS);
        }
        while (chunk != 0 && count < MAX_CHUNKS) {
            memory.read(chunk, header, 16);
            long previous = header.getLong(CHUNK_PREVIOUS);
            long size = header.getLong(CHUNK_SIZE);
            if (size <= 16 || size > MAX_COPY || used + size > MAX_COPY) {
                return;
            }
            ensureCapacity(used + (int) size);
            readInto(chunk, (int) size);
            add(chunk, (int) size);
            chunk = previous;
        }
    }

    private void add(long start, int length) {
        starts[count] = start;
        lengths[count] = length;
        offsets[count] = used;
        used += length;
        count++;
    }

    private void readInto(long address, int length) throws MemoryReadException {
        // Memory.read fills a buffer from position 0; copy through a piece buffer into place.
        for (int done = 0; done < length; ) {
            int n = Math.min(piece.capacity(), length - done);
            memory.read(address + done, piece, n);
            copy.clear();
            copy.put(used + done, piece, 0, n);
            done += n;
        }
    }

    /**
     * Where a struct of {@code size} bytes at {@code address} is in the local copy, or -1 if it is
     * not (wholly) inside a copied chunk.
     */
    int find(long address, int size) {
        for (int i = 0; i < count; i++) {
            long off = address - starts[i];
            if (off >= 0 && off + size <= lengths[i]) {
                return offsets[i] + (int) off;
            }
        }
        return -1;
    }

    ByteBuffer buffer() {
        return copy;
    }

    void clear() {
        count = 0;
        used = 0;
    }

    private void ensureCapacity(int needed) {
        if (copy.capacity() < needed) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, copy.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(0, copy, 0, used);
            copy = bigger;
        }
    }
}
