package dev.pyspy.python;

import java.util.Arrays;

/**
 * One thread's raw stack from one walk, innermost frame first. Reused between samples so the
 * sampling loop allocates nothing per frame.
 */
public final class RawThreadStack {
    public long threadState;
    public long threadId;
    /** Kernel tid when the interpreter records it (3.11+) or it was mapped from the pthread id; else 0. */
    public long nativeThreadId;
    public boolean ownsGil;
    public int depth;
    /** True when the walk stopped at the depth limit. */
    public boolean truncated;
    /**
     * Names this decode of the stack: two samples of a thread with the same non-zero version hold
     * the same frames (the walker reused the first decode), so what a consumer derived from the
     * first holds for the second. 0 when unknown.
     */
    public long stackVersion;
    public CodeInfo[] codes = new CodeInfo[32];
    public int[] lines = new int[32];
    public long[] frameAddresses = new long[32];
    public boolean[] entries = new boolean[32];

    void clear() {
        depth = 0;
        truncated = false;
        stackVersion = 0;
        ownsGil = false;
        nativeThreadId = 0;
    }

    void push(CodeInfo code, int line, long frameAddress, boolean entry) {
        if (depth == codes.length) {
            int n = depth * 2;
            codes = Arrays.copyOf(codes, n);
            lines = Arrays.copyOf(lines, n);
            frameAddresses = Arrays.copyOf(frameAddresses, n);
            entries = Arrays.copyOf(entries, n);
        }
        codes[depth] = code;
        lines[depth] = line;
        frameAddresses[depth] = frameAddress;
        entries[depth] = entry;
        depth++;
    }

    /** Marks the most recently pushed frame as the first Python frame of a call from C. */
    void markLastAsEntry() {
        if (depth > 0) {
            entries[depth - 1] = true;
        }
    }
}
