package dev.pyspy.python;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The frames one thread's walk read outside its data-stack copy (frame objects before 3.11;
 * generator and C-stack entry frames after): their addresses and the bytes read there.
 *
 * <p>The next walk reads the same addresses again inside its one batched call ("probes"). If every
 * probe equals what was recorded (and the data stack is unchanged too), the previous decode can be
 * reused; if not, a probe still saves a read whenever the chain passes through its address, since
 * its bytes are as fresh as any other read of that walk.
 */
final class OutsideFrames {
    /** Frames recorded per thread; a thread with more is never reused (its probes still help). */
    static final int MAX_FRAMES = 512;
    /** How far ahead of the expected probe the chain's next address is looked for. */
    private static final int LOOK_AHEAD = 8;
    /**
     * Recorded frames this close together are probed with one read: a range costs far more than
     * its bytes (a thread's entry frames sit a few hundred bytes apart on its C stack). Less than a
     * page, so every byte of a range is on the page of a frame that was read: it cannot fault.
     */
    private static final int MAX_SPAN = 2048;

    private final int frameSize;
    // the last finished walk's record: what is probed
    private long[] addresses = new long[4];
    private byte[] bytes;
    private int count;
    private boolean complete;
    // the record this walk is building
    private long[] nextAddresses = new long[4];
    private byte[] nextBytes;
    private int nextCount;
    private boolean nextComplete;
    // this walk's probes of the last record's addresses: ranges read into probeBytes, one view per frame
    private byte[] probeBytes = new byte[0];
    private ByteBuffer[] probes = new ByteBuffer[0];
    private int[] probeOffsets = new int[0];
    private long[] rangeStarts = new long[0];
    private ByteBuffer[] ranges = new ByteBuffer[0];
    private int rangeCount;
    /** The addresses the probe layout was made for (it is remade only when they change). */
    private long[] layoutFor = new long[0];
    private int probed;
    private int cursor;

    OutsideFrames(int frameSize) {
        this.frameSize = frameSize;
        bytes = new byte[4 * frameSize];
        nextBytes = new byte[4 * frameSize];
    }

    /** Adds reads of the recorded addresses to a batch at {@code k}; returns the new batch length. */
    int addProbes(long[] batchAddresses, ByteBuffer[] batchBuffers, int[] batchLengths, int k) {
        if (layoutFor.length != count || !Arrays.equals(layoutFor, 0, count, addresses, 0, count)) {
            layOutProbes();
        }
        for (int r = 0; r < rangeCount; r++) {
            batchAddresses[k] = rangeStarts[r];
            batchBuffers[k] = ranges[r];
            batchLengths[k] = ranges[r].capacity();
            k++;
        }
        probed = count;
        return k;
    }

    /** Groups the recorded frames into ranges read whole (in record order, each within MAX_SPAN). */
    private void layOutProbes() {
        layoutFor = Arrays.copyOf(addresses, count);
        long[] starts = new long[count];
        int[] lengths = new int[count];
        probeOffsets = new int[count];
        int n = 0;
        int total = 0;
        for (int j = 0; j < count; j++) {
            long a = addresses[j];
            if (n > 0 && a >= starts[n - 1] && a + frameSize - starts[n - 1] <= MAX_SPAN) {
                int end = (int) (a + frameSize - starts[n - 1]);
                if (end > lengths[n - 1]) {
                    total += end - lengths[n - 1];
                    lengths[n - 1] = end;
                }
                probeOffsets[j] = -1 - (n - 1); // fixed below, once the range's place is known
            } else {
                starts[n] = a;
                lengths[n] = frameSize;
                probeOffsets[j] = -1 - n;
                total += frameSize;
                n++;
            }
        }
        probeBytes = new byte[total];
        rangeStarts = Arrays.copyOf(starts, n);
        ranges = new ByteBuffer[n];
        int[] rangeOffsets = new int[n];
        for (int r = 0, off = 0; r < n; off += lengths[r], r++) {
            rangeOffsets[r] = off;
            ranges[r] = ByteBuffer.wrap(probeBytes, off, lengths[r]).slice().order(ByteOrder.LITTLE_ENDIAN);
        }
        rangeCount = n;
        probes = new ByteBuffer[count];
        for (int j = 0; j < count; j++) {
            int r = -1 - probeOffsets[j];
            probeOffsets[j] = rangeOffsets[r] + (int) (addresses[j] - starts[r]);
            probes[j] = ByteBuffer.wrap(probeBytes, probeOffsets[j], frameSize).slice().order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    int probeCount() {
        return count;
    }

    /** Forgets this walk's probes (their batch failed: some address is no longer readable). */
    void dropProbes() {
        probed = 0;
    }

    /** Forgets the record too: nothing is probed next walk. */
    void forget() {
        probed = 0;
        count = 0;
        complete = false;
    }

    /** True when the last walk recorded every outside frame and this walk's probes read the same bytes. */
    boolean unchanged() {
        if (!complete || probed != count) {
            return false;
        }
        for (int j = 0; j < count; j++) {
            int p = probeOffsets[j];
            if (!Arrays.equals(probeBytes, p, p + frameSize, bytes, j * frameSize, (j + 1) * frameSize)) {
                return false;
            }
        }
        return true;
    }

    /** Starts a new record (the thread is being decoded afresh). */
    void startWalk() {
        nextCount = 0;
        nextComplete = true;
        cursor = 0;
    }

    /** This walk's probe of {@code address} when the chain reached a recorded frame, else null. */
    ByteBuffer probeFor(long address) {
        for (int j = cursor, end = Math.min(probed, cursor + LOOK_AHEAD); j < end; j++) {
            if (addresses[j] == address) {
                cursor = j + 1;
                return probes[j];
            }
        }
        return null;
    }

    /** Records an outside frame this walk decoded; {@code allowed} is false once the walk's budget is spent. */
    void record(long address, ByteBuffer frame, boolean allowed) {
        if (!nextComplete) {
            return;
        }
        if (!allowed || nextCount == MAX_FRAMES) {
            nextComplete = false;
            return;
        }
        if (nextCount == nextAddresses.length) {
            int n = Math.min(MAX_FRAMES, nextCount * 2);
            nextAddresses = Arrays.copyOf(nextAddresses, n);
            nextBytes = Arrays.copyOf(nextBytes, n * frameSize);
        }
        nextAddresses[nextCount] = address;
        frame.get(0, nextBytes, nextCount * frameSize, frameSize);
        nextCount++;
    }

    /** Makes this walk's record the one probed next time. */
    void endWalk() {
        long[] a = addresses;
        addresses = nextAddresses;
        nextAddresses = a;
        byte[] b = bytes;
        bytes = nextBytes;
        nextBytes = b;
        count = nextCount;
        complete = nextComplete;
        probed = 0;
        if (nextAddresses.length > 4 * Math.max(4, count)) {
            // a deep stack that unwound: give back what the next record will not need
            nextAddresses = new long[4];
            nextBytes = new byte[4 * frameSize];
        }
    }
}
