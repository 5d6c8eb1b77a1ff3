package dev.pyspy.python;

import java.util.Arrays;

/**
 * One thread's raw stack from one walk, innermost frame first. Reused between samples so the
 * sampling loop allocates nothing per frame.
 *
 * <p>A stack deeper than {@link #MAX_FRAMES} keeps both ends: its innermost {@link #KEPT_INNER} frames
 * (where the time is spent), a marker frame standing for the ones left out, and its outermost
 * {@link #KEPT_OUTER} (so every stack still starts at its root). While the chain is followed the
 * outermost frames seen so far wait in a ring after the innermost ones; {@link #cutMiddle} puts them
 * in order behind the marker.
 */
public final class RawThreadStack {
    /** Frames kept of one stack, the marker included. */
    public static final int MAX_FRAMES = 16_384;
    static final int KEPT_OUTER = 1_024;
    static final int KEPT_INNER = MAX_FRAMES - 1 - KEPT_OUTER;

    public long threadState;
    public long threadId;
    /** Kernel tid when the interpreter records it (3.11+) or it was mapped from the pthread id; else 0. */
    public long nativeThreadId;
    public boolean ownsGil;
    public int depth;
    /** True when the walk stopped before the end of the chain (a chain too long or cyclic to be real). */
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
    /**
     * For an entry frame of 3.12+, the address of the shim frame it was entered through (on the
     * C stack of the evaluation loop that runs it: {@code --native} finds that loop by it); else 0.
     */
    public long[] entryLinks = new long[32];
    /**
     * Per frame, the instruction it executes ({@code --opcodes}): {@code f_lasti} as the frame holds
     * it (up to 3.10), or its index in code units (3.11+); -1 when unknown (synthetic frames).
     */
    public int[] instructions = new int[32];
    /** Per frame (3.11+), the address of that instruction's code unit, whose first byte is the opcode; else 0. */
    public long[] instructionAddresses = new long[32];
    /** Synthetic frames put innermost after the walk ({@link #addLeaf}); taken off by {@link #removeLeaves}. */
    private int leaves;
    private long versionBeforeLeaves;
    /** Frames pushed by this walk, kept or not. */
    private int pushed;
    /** Where the last pushed frame went. */
    private int lastIndex;

    void clear() {
        depth = 0;
        pushed = 0;
        truncated = false;
        stackVersion = 0;
        ownsGil = false;
        nativeThreadId = 0;
        leaves = 0;
    }

    /**
     * Puts a synthetic frame ({@code <exception ValueError>}, {@code <GC>}) innermost, for the
     * consumers of this sample; {@link #removeLeaves} must follow before the next walk, which may
     * reuse these arrays as they were decoded. The stack's version is unknown meanwhile.
     */
    public void addLeaf(CodeInfo marker) {
        if (depth == codes.length) {
            int n = codes.length + 1;
            codes = Arrays.copyOf(codes, n);
            lines = Arrays.copyOf(lines, n);
            frameAddresses = Arrays.copyOf(frameAddresses, n);
            entries = Arrays.copyOf(entries, n);
            entryLinks = Arrays.copyOf(entryLinks, n);
            instructions = Arrays.copyOf(instructions, n);
            instructionAddresses = Arrays.copyOf(instructionAddresses, n);
        }
        System.arraycopy(codes, 0, codes, 1, depth);
        System.arraycopy(lines, 0, lines, 1, depth);
        System.arraycopy(frameAddresses, 0, frameAddresses, 1, depth);
        System.arraycopy(entries, 0, entries, 1, depth);
        System.arraycopy(entryLinks, 0, entryLinks, 1, depth);
        System.arraycopy(instructions, 0, instructions, 1, depth);
        System.arraycopy(instructionAddresses, 0, instructionAddresses, 1, depth);
        codes[0] = marker;
        lines[0] = 0;
        frameAddresses[0] = 0;
        entries[0] = false;
        entryLinks[0] = 0;
        instructions[0] = -1;
        instructionAddresses[0] = 0;
        depth++;
        if (leaves++ == 0) {
            versionBeforeLeaves = stackVersion;
        }
        stackVersion = 0;
    }

    /** Takes off the frames {@link #addLeaf} put on, restoring the stack as the walk decoded it. */
    public void removeLeaves() {
        if (leaves == 0) {
            return;
        }
        depth -= leaves;
        System.arraycopy(codes, leaves, codes, 0, depth);
        System.arraycopy(lines, leaves, lines, 0, depth);
        System.arraycopy(frameAddresses, leaves, frameAddresses, 0, depth);
        System.arraycopy(entries, leaves, entries, 0, depth);
        System.arraycopy(entryLinks, leaves, entryLinks, 0, depth);
        System.arraycopy(instructions, leaves, instructions, 0, depth);
        System.arraycopy(instructionAddresses, leaves, instructionAddresses, 0, depth);
        codes[depth] = null;
        stackVersion = versionBeforeLeaves;
        leaves = 0;
    }

    void push(CodeInfo code, int line, long frameAddress, boolean entry) {
        push(code, line, frameAddress, entry, -1, 0);
    }

    /** Pushes a frame executing {@code instruction} (see {@link #instructions}, {@link #instructionAddresses}). */
    void push(CodeInfo code, int line, long frameAddress, boolean entry, int instruction, long instructionAddress) {
        int i;
        if (pushed < KEPT_INNER + KEPT_OUTER) {
            i = pushed;
            if (i == codes.length) {
                int n = Math.min(i * 2, MAX_FRAMES);
                codes = Arrays.copyOf(codes, n);
                lines = Arrays.copyOf(lines, n);
                frameAddresses = Arrays.copyOf(frameAddresses, n);
                entries = Arrays.copyOf(entries, n);
                entryLinks = Arrays.copyOf(entryLinks, n);
                instructions = Arrays.copyOf(instructions, n);
                instructionAddresses = Arrays.copyOf(instructionAddresses, n);
            }
            depth = i + 1;
        } else {
            i = ringIndex(pushed); // overwrites the innermost of the outer frames kept so far
        }
        codes[i] = code;
        lines[i] = line;
        frameAddresses[i] = frameAddress;
        entries[i] = entry;
        entryLinks[i] = 0;
        instructions[i] = instruction;
        instructionAddresses[i] = instructionAddress;
        lastIndex = i;
        pushed++;
    }

    /** Frames pushed but not kept: the cut {@link #cutMiddle} marks. */
    int omitted() {
        return Math.max(0, pushed - (KEPT_INNER + KEPT_OUTER));
    }

    /**
     * Once the chain is done, if frames were left out: puts the outermost frames kept in order and
     * {@code marker} (a frame standing for the {@link #omitted} ones) between them and the innermost.
     */
    void cutMiddle(CodeInfo marker) {
        if (omitted() == 0) {
            return;
        }
        int end = KEPT_INNER + KEPT_OUTER;
        int oldest = ringIndex(pushed); // the ring's innermost frame: next to be overwritten
        reverse(KEPT_INNER, oldest);
        reverse(oldest, end);
        reverse(KEPT_INNER, end);
        System.arraycopy(codes, KEPT_INNER, codes, KEPT_INNER + 1, KEPT_OUTER);
        System.arraycopy(lines, KEPT_INNER, lines, KEPT_INNER + 1, KEPT_OUTER);
        System.arraycopy(frameAddresses, KEPT_INNER, frameAddresses, KEPT_INNER + 1, KEPT_OUTER);
        System.arraycopy(entries, KEPT_INNER, entries, KEPT_INNER + 1, KEPT_OUTER);
        System.arraycopy(entryLinks, KEPT_INNER, entryLinks, KEPT_INNER + 1, KEPT_OUTER);
        System.arraycopy(instructions, KEPT_INNER, instructions, KEPT_INNER + 1, KEPT_OUTER);
        System.arraycopy(instructionAddresses, KEPT_INNER, instructionAddresses, KEPT_INNER + 1, KEPT_OUTER);
        codes[KEPT_INNER] = marker;
        lines[KEPT_INNER] = 0;
        frameAddresses[KEPT_INNER] = 0;
        entries[KEPT_INNER] = false;
        entryLinks[KEPT_INNER] = 0;
        instructions[KEPT_INNER] = -1;
        instructionAddresses[KEPT_INNER] = 0;
        depth = MAX_FRAMES;
    }

    /** Where the frame pushed as number {@code n} (past the innermost ones kept) goes in the ring. */
    private static int ringIndex(int n) {
        return KEPT_INNER + (n - KEPT_INNER) % KEPT_OUTER;
    }

    /** Reverses frames {@code [from, to)}. */
    private void reverse(int from, int to) {
        for (int i = from, j = to - 1; i < j; i++, j--) {
            CodeInfo c = codes[i];
            codes[i] = codes[j];
            codes[j] = c;
            int l = lines[i];
            lines[i] = lines[j];
            lines[j] = l;
            long a = frameAddresses[i];
            frameAddresses[i] = frameAddresses[j];
            frameAddresses[j] = a;
            boolean e = entries[i];
            entries[i] = entries[j];
            entries[j] = e;
            long k = entryLinks[i];
            entryLinks[i] = entryLinks[j];
            entryLinks[j] = k;
            int n = instructions[i];
            instructions[i] = instructions[j];
            instructions[j] = n;
            long x = instructionAddresses[i];
            instructionAddresses[i] = instructionAddresses[j];
            instructionAddresses[j] = x;
        }
    }

    /**
     * Keeps the innermost {@code keep} frames (fewer than {@link #KEPT_INNER}), for {@link #push} to put
     * others below them ({@code --async-aware}: the running task's root instead of the event loop's frames).
     */
    void rootAt(int keep) {
        depth = keep;
        pushed = keep;
    }

    /** Marks the most recently pushed frame as the first Python frame of a call from C. */
    void markLastAsEntry() {
        if (pushed > 0) {
            entries[lastIndex] = true;
        }
    }

    /** As {@link #markLastAsEntry()}, through the shim frame at {@code shim} (see {@link #entryLinks}). */
    void markLastAsEntry(long shim) {
        if (pushed > 0) {
            entries[lastIndex] = true;
            if (entryLinks[lastIndex] == 0) { // the nearest shim: one further out (a thread's base frame) is no loop's
                entryLinks[lastIndex] = shim;
            }
        }
    }
}
