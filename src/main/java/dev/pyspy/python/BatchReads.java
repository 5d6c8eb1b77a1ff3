package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A batch of ranges read together ({@link ProcessMemory#readAll}: as few system calls as the kernel
 * allows), each into a direct buffer of its own kept for the next batch, so a steady batch allocates
 * nothing. {@link #readEach} reads ranges that lie close together as one: objects of one kind sit
 * side by side in the allocator's pools, and the kernel's cost goes by ranges and pages, not bytes.
 */
final class BatchReads {
    /** Ranges at most this far apart are read as one range, the bytes between them with them. */
    private static final int MERGE_GAP = 512;
    /** A merged range stops growing at this size. */
    private static final int MAX_MERGED = 64 << 10;
    /** Bits of a sort key holding the range's index (the address, in words, above them). */
    private static final int INDEX_BITS = 19;
    private static final long MAX_SORTED_ADDRESS = 1L << (63 - INDEX_BITS + 3);

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
    /** The ranges by address (sort keys, then indexes), and the merged ranges: first sorted range, address, length. */
    private long[] sortKeys = new long[0];
    private int[] order = new int[0];
    private int[] groupFirst = new int[0];
    private long[] groupAddresses = new long[0];
    private int[] groupLengths = new int[0];
    private ByteBuffer[] groupBuffers = new ByteBuffer[0];
    private int groups;

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
     * Reads every range added since {@link #clear}, as {@link #read}, ranges close together as one;
     * when that fails (some range is unmapped: its object was freed meanwhile), the batch is split in
     * halves until each failing range is alone, so the others are still read together: {@link #ok}
     * says which were read. Returns whether all were.
     */
    boolean readEach() {
        if (count == 0) {
            return true;
        }
        if (ok.length < count) {
            int n = addresses.length;
            ok = new boolean[n];
            spanAddresses = new long[n];
            spanBuffers = new ByteBuffer[n];
            spanLengths = new int[n];
            sortKeys = new long[n];
            order = new int[n];
            groupFirst = new int[n + 1];
            groupAddresses = new long[n];
            groupLengths = new int[n];
            groupBuffers = Arrays.copyOf(groupBuffers, n);
        }
        failed = 0;
        if (sortByAddress()) {
            merge();
            readGroups(0, groups);
        } else {
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            readSpan(0, count);
        }
        return failed == 0;
    }

    /** Whether range {@code i} was read by the last {@link #readEach}. */
    boolean ok(int i) {
        return ok[i];
    }

    /** Into {@link #order}: the ranges by address; false (unsorted) when an address does not fit a sort key. */
    private boolean sortByAddress() {
        if (count >= 1 << INDEX_BITS) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            long a = addresses[i];
            if ((a & 7) != 0 || a < 0 || a >= MAX_SORTED_ADDRESS) {
                return false;
            }
            sortKeys[i] = (a >>> 3) << INDEX_BITS | i;
        }
        Arrays.sort(sortKeys, 0, count);
        int mask = (1 << INDEX_BITS) - 1;
        for (int k = 0; k < count; k++) {
            order[k] = (int) (sortKeys[k] & mask);
        }
        return true;
    }

    /** Groups the sorted ranges into merged ones. */
    private void merge() {
        groups = 0;
        int k = 0;
        while (k < count) {
            int first = k;
            long start = addresses[order[k]];
            long end = start + lengths[order[k]];
            k++;
            while (k < count) {
                long a = addresses[order[k]];
                long e = Math.max(end, a + lengths[order[k]]);
                if (a > end + MERGE_GAP || e - start > MAX_MERGED) {
                    break;
                }
                end = e;
                k++;
            }
            int length = (int) (end - start);
            if (groupBuffers[groups] == null || groupBuffers[groups].capacity() < length) {
                groupBuffers[groups] = ByteBuffer.allocateDirect(Math.max(length, 256)).order(ByteOrder.LITTLE_ENDIAN);
            }
            groupFirst[groups] = first;
            groupAddresses[groups] = start;
            groupLengths[groups++] = length;
        }
        groupFirst[groups] = count;
    }

    /** Reads merged ranges {@code from} to {@code to}; one that cannot be read has its ranges read on their own. */
    private void readGroups(int from, int to) {
        int n = to - from;
        if (n <= 0) {
            return;
        }
        try {
            memory.readAll(copyOf(groupAddresses, from, n, spanAddresses), copyOf(groupBuffers, from, n, spanBuffers),
                    copyOf(groupLengths, from, n, spanLengths), n);
        } catch (MemoryReadException e) {
            if (n == 1 && groupFirst[from + 1] - groupFirst[from] == 1) {
                ok[order[groupFirst[from]]] = false; // one range alone: it is what cannot be read
                failed++;
            } else if (n == 1) {
                readSpan(groupFirst[from], groupFirst[from + 1]); // its ranges one by one, halving around failures
            } else {
                readGroups(from, from + n / 2);
                readGroups(from + n / 2, to);
            }
            return;
        }
        for (int g = from; g < to; g++) {
            ByteBuffer group = groupBuffers[g];
            for (int k = groupFirst[g]; k < groupFirst[g + 1]; k++) {
                int i = order[k];
                ByteBuffer b = buffers[i].clear();
                b.put(0, group, (int) (addresses[i] - groupAddresses[g]), lengths[i]);
                b.limit(lengths[i]); // as a read of its own leaves it
                ok[i] = true;
            }
        }
    }

    /** Reads ranges {@code order[from]} to {@code order[to - 1]}, halving the span around those that fail. */
    private void readSpan(int from, int to) {
        int n = to - from;
        if (n <= 0) {
            return;
        }
        for (int k = 0; k < n; k++) {
            int i = order[from + k];
            spanAddresses[k] = addresses[i];
            spanBuffers[k] = buffers[i];
            spanLengths[k] = lengths[i];
        }
        try {
            memory.readAll(spanAddresses, spanBuffers, spanLengths, n);
            for (int k = from; k < to; k++) {
                ok[order[k]] = true;
            }
        } catch (MemoryReadException e) {
            if (n == 1) {
                ok[order[from]] = false;
                failed++;
                return;
            }
            int mid = from + n / 2;
            readSpan(from, mid);
            readSpan(mid, to);
        }
    }

    private static long[] copyOf(long[] from, int start, int n, long[] to) {
        System.arraycopy(from, start, to, 0, n);
        return to;
    }

    private static int[] copyOf(int[] from, int start, int n, int[] to) {
        System.arraycopy(from, start, to, 0, n);
        return to;
    }

    private static ByteBuffer[] copyOf(ByteBuffer[] from, int start, int n, ByteBuffer[] to) {
        System.arraycopy(from, start, to, 0, n);
        return to;
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
