package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A batch of ranges read together ({@link ProcessMemory#readAll}: as few system calls as the kernel
 * allows), each into a direct buffer of its own kept for the next batch, so a steady batch allocates
 * nothing.
 */
final class BatchReads {
    private final ProcessMemory memory;
    private long[] addresses = new long[16];
    private ByteBuffer[] buffers = new ByteBuffer[16];
    private int[] lengths = new int[16];
    private int count;
    /** {@link #readEach}: which ranges were read, and a span's ranges copied to the front for one call. */
    private boolean[] ok = new boolean[0];
    private int failed;
    private long[] spanAddresses = new long[0];
    private ByteBuffer[] spanBuffers = new ByteBuffer[0];
    private int[] spanLengths = new int[0];

    BatchReads(ProcessMemory memory) {
        this.memory = memory;
    }

    void clear() {
        count = 0;
    }

    int size() {
        return count;
    }

    /** Adds a range to the batch; returns its index for {@link #get}. */
    int add(long address, int length) {
        if (count == addresses.length) {
            int n = count * 2;
            addresses = Arrays.copyOf(addresses, n);
            buffers = Arrays.copyOf(buffers, n);
            lengths = Arrays.copyOf(lengths, n);
        }
        if (buffers[count] == null || buffers[count].capacity() < length) {
            buffers[count] = ByteBuffer.allocateDirect(Math.max(length, 64)).order(ByteOrder.LITTLE_ENDIAN);
        }
        addresses[count] = address;
        lengths[count] = length;
        return count++;
    }

    /** Reads every range added since {@link #clear}. */
    void read() throws MemoryReadException {
        if (count > 0) {
            memory.readAll(addresses, buffers, lengths, count);
        }
    }

    /**
     * Reads every range added since {@link #clear}, as {@link #read}; when that fails (some range is
     * unmapped: its object was freed meanwhile), the batch is split in halves until each failing
     * range is alone, so the others are still read together: {@link #ok} says which were read.
     * Returns whether all were.
     */
    boolean readEach() {
        if (ok.length < count) {
            ok = new boolean[addresses.length];
            spanAddresses = new long[addresses.length];
            spanBuffers = new ByteBuffer[addresses.length];
            spanLengths = new int[addresses.length];
        }
        failed = 0;
        readSpan(0, count);
        return failed == 0;
    }

    /** Whether range {@code i} was read by the last {@link #readEach}. */
    boolean ok(int i) {
        return ok[i];
    }

    private void readSpan(int from, int to) {
        int n = to - from;
        if (n <= 0) {
            return;
        }
        System.arraycopy(addresses, from, spanAddresses, 0, n);
        System.arraycopy(buffers, from, spanBuffers, 0, n);
        System.arraycopy(lengths, from, spanLengths, 0, n);
        try {
            memory.readAll(spanAddresses, spanBuffers, spanLengths, n);
            Arrays.fill(ok, from, to, true);
        } catch (MemoryReadException e) {
            if (n == 1) {
                ok[from] = false;
                failed++;
                return;
            }
            int mid = from + n / 2;
            readSpan(from, mid);
            readSpan(mid, to);
        }
    }

    /** Reads only the range added last. */
    void readLast() throws MemoryReadException {
        memory.read(addresses[count - 1], buffers[count - 1], lengths[count - 1]);
    }

    /** The bytes of range {@code i}, from offset 0. */
    ByteBuffer get(int i) {
        return buffers[i];
    }
}
