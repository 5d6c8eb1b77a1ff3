package dev.pyspy.python;

import dev.pyspy.process.ProcessMemory;
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

    /** A thread's copy starts this small and grows to what its stack uses (thousands of threads are common). */
    private static final int INITIAL_COPY = 1 << 10;

    private final ProcessMemory memory;
    private final ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer copy = newCopy(INITIAL_COPY);
    /**
     * The previous walk's copy, kept (buffers swap each walk, nothing is copied) so the walker can
     * tell an unchanged data stack by comparing bytes and reuse that walk's decoded frames.
     */
    private ByteBuffer previous;
    private long[] previousStarts = new long[4];
    private int[] previousLengths = new int[4];
    private int[] previousOffsets = new int[4];
    private int previousCount;
    private int previousUsed;
    /** Read buffer for older chunks, shared by every thread's instance (one walk at a time). */
    private final ByteBuffer piece;
    private long[] starts = new long[4];
    private int[] lengths = new int[4];
    private int[] offsets = new int[4];
    private int count;
    private int used;
    /** Where in the copy the frames of the last fresh decode are (kept while it is reused). */
    private int[] decodedBases = new int[16];
    private int decodedCount;

    StackChunks(ProcessMemory memory, ByteBuffer piece) {
        this.memory = memory;
        this.piece = piece;
    }

    /** A read buffer to share between the instances of one walker. */
    static ByteBuffer newPieceBuffer() {
        return ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
    }

    private long pendingChunk;
    private int pendingLength;

    /**
     * Prepares to copy one thread's chunks; returns how many bytes of the current chunk the caller
     * should read (batched with other threads) into {@link #buffer()} at position 0, or 0 when
     * {@link #complete()} is to read everything itself.
     */
    int prepare(long chunk, long top, long budget) {
        keepAsPrevious();
        pendingChunk = chunk;
        pendingLength = 0;
        // both are the target's to get wrong: no overflow may turn them into a size
        if (chunk > 0 && top > chunk && top - chunk > 16 && top - chunk <= Math.min(MAX_COPY, budget)) {
            pendingLength = (int) (top - chunk);
            ensureCapacity(pendingLength);
        }
        return pendingLength;
    }

    /**
     * After the batched read: checks the current chunk and copies older chunks (deep stacks), at
     * most {@code budget} bytes of them; returns how many bytes that copied.
     */
    long complete(long budget) throws MemoryReadException {
        copy.clear(); // the batched read left the limit at the current chunk's length
        long chunk = pendingChunk;
        if (chunk == 0) {
            return 0;
        }
        if (pendingLength > 0) {
            long size = copy.getLong(CHUNK_SIZE);
            if (size < pendingLength || size > MAX_COPY) {
                return 0; // not a chunk after all (the thread changed under us): read frames one by one
            }
            add(chunk, pendingLength);
            chunk = copy.getLong(CHUNK_PREVIOUS);
        }
        long copied = 0;
        while (chunk != 0 && count < MAX_CHUNKS) {
            memory.read(chunk, header, 16);
            long previous = header.getLong(CHUNK_PREVIOUS);
            long size = header.getLong(CHUNK_SIZE);
            if (size <= 16 || size > MAX_COPY || used + size > MAX_COPY || copied + size > budget) {
                return copied;
            }
            ensureCapacity(used + (int) size);
            readInto(chunk, (int) size);
            add(chunk, (int) size);
            copied += size;
            chunk = previous;
        }
        return copied;
    }

    private void add(long start, int length) {
        if (count == starts.length) {
            int n = Math.min(MAX_CHUNKS, Math.max(4, count * 2));
            starts = java.util.Arrays.copyOf(starts, n);
            lengths = java.util.Arrays.copyOf(lengths, n);
            offsets = java.util.Arrays.copyOf(offsets, n);
        }
        starts[count] = start;
        lengths[count] = length;
        offsets[count] = used;
        used += length;
        count++;
    }

    private void readInto(long address, int length) throws MemoryReadException {
        // ProcessMemory.read fills a buffer from position 0; copy through a piece buffer into place.
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

    /** Bytes copied by this walk (all chunks). */
    int used() {
        return used;
    }

    /** Forgets the frames of the last fresh decode: a new one starts (see {@link #decoded}). */
    void beginDecode() {
        decodedCount = 0;
    }

    /** Notes that the walker decoded a frame at {@code base} in this walk's copy. */
    void decoded(int base) {
        if (decodedCount == decodedBases.length) {
            decodedBases = java.util.Arrays.copyOf(decodedBases, 2 * decodedCount);
        }
        decodedBases[decodedCount++] = base;
    }

    /**
     * True when this walk copied chunks at the same addresses and lengths as the previous walk and
     * every field the last fresh decode read, in every frame it decoded, holds the same bytes: the
     * frames found in the copy then decode exactly as they did. Only those fields are compared
     * (locals and value stacks, most of a chunk, change without changing the stack).
     */
    boolean sameFramesAsPrevious(int[] fieldOffsets, int[] fieldWidths) {
        if (previous == null || count != previousCount || used != previousUsed || count == 0) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (starts[i] != previousStarts[i] || lengths[i] != previousLengths[i] || offsets[i] != previousOffsets[i]) {
                return false;
            }
        }
        for (int d = 0; d < decodedCount; d++) {
            int base = decodedBases[d];
            for (int f = 0; f < fieldOffsets.length; f++) {
                int at = base + fieldOffsets[f];
                boolean same = switch (fieldWidths[f]) {
                    case 8 -> copy.getLong(at) == previous.getLong(at);
                    case 4 -> copy.getInt(at) == previous.getInt(at);
                    default -> copy.get(at) == previous.get(at);
                };
                if (!same) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Direct, so the kernel copies the target's chunk straight into it (see RemoteMemory). */
    private static ByteBuffer newCopy(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Makes this walk's copy the previous one and starts an empty copy (reusing the older buffer). */
    private void keepAsPrevious() {
        ByteBuffer older = previous;
        previous = copy;
        copy = older != null ? older : newCopy(INITIAL_COPY);
        long[] s = previousStarts;
        previousStarts = starts;
        starts = s;
        int[] l = previousLengths;
        previousLengths = lengths;
        lengths = l;
        int[] o = previousOffsets;
        previousOffsets = offsets;
        offsets = o;
        previousCount = count;
        previousUsed = used;
        count = 0;
        used = 0;
    }

    private void ensureCapacity(int needed) {
        if (copy.capacity() < needed) {
            ByteBuffer bigger = newCopy(Math.max(needed, copy.capacity() * 2));
            bigger.put(0, copy, 0, used);
            copy = bigger;
        }
    }
}
