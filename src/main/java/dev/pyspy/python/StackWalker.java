package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.Memory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Walks every thread of every interpreter and each thread's Python frames, for all versions.
 * Versions differ only in the offsets it resolves from the {@link Layout} and in which frame model
 * the layout describes: {@code PyFrameObject} chains (2.7-3.10) or {@code _PyInterpreterFrame}
 * chains (3.11+, reached through the cframe on 3.11-3.12 and directly on 3.13+).
 */
public final class StackWalker {
    /** Deeper stacks are cut here (and flagged) so a corrupt or cyclic chain cannot hang us. */
    public static final int MAX_DEPTH = 16_384;
    /**
     * Data-stack bytes copied per walk, all threads together: what thread states claim is not
     * trusted to bound memory (thousands of threads, or garbage read from a changing process).
     * Frames beyond it are read one by one.
     */
    static final long MAX_COPY_PER_WALK = 64L << 20;
    /**
     * Frames decoded per walk, all threads together: a cycle in many threads' chains must not cost
     * threads x {@link #MAX_DEPTH}. Threads still unwalked when it runs out are cut (truncated).
     */
    static final int MAX_FRAMES_PER_WALK = 1 << 21;
    /**
     * Outside frames recorded for reuse per walk, all threads together: bounds the memory kept
     * between walks. Threads beyond it are decoded afresh every time.
     */
    static final int MAX_OUTSIDE_PER_WALK = 1 << 15;
    private static final int MAX_THREADS = 100_000;
    /** Stack versions: unique per fresh decode, across walkers (consumers key caches by them). */
    private static final java.util.concurrent.atomic.AtomicLong versions = new java.util.concurrent.atomic.AtomicLong();
    private static final int MAX_INTERPRETERS = 1024;

    private final Memory memory;
    private final CodeCache codes;
    private final GilReader gil;
    private final long firstInterpreter;

    private final int interpNext;
    private final int interpThreads;
    private final int tsNext;
    private final int tsThreadId;
    private final int tsNativeId;
    private final int tsFrame;
    private final int tsCFrame;
    private final int cfCurrentFrame;
    private final int tsChunk;
    private final int tsStackTop;
    private final int tsSize;

    private final boolean interpreterFrames;
    private final int fPrevious;
    private final int fCode;
    private final int fInstr;
    private final int fOwner;
    private final int fIsEntry;
    private final int ownedByCStack;
    private final int ownedByInterpreter;
    private final int codeAdaptive;
    private final long executableMask;
    private final int fTlbcIndex;
    private final int codeTlbc;
    private final int tlbcEntries;
    private final int frameSize;
    /** The frame fields decode reads (offset, width): all a reused decode depends on in a chunk. */
    private final int[] decodedFieldOffsets;
    private final int[] decodedFieldWidths;
    private final ByteBuffer wordBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer headBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer nextBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    // Per thread slot (index in the snapshot), reused between walks.
    private ByteBuffer[] tsBufs = new ByteBuffer[0];
    private ByteBuffer[] frameBufs = new ByteBuffer[0];
    private ByteBuffer[] cframeBufs = new ByteBuffer[0];
    private StackChunks[] chunkSets;
    private long copyBudget;
    private int frameBudget;
    private final ByteBuffer chunkPiece = StackChunks.newPieceBuffer();
    private long[] cursors = new long[0];
    private int[] steps = new int[0];

    // Reuse of a slot's last decode when nothing it was decoded from changed (see walk).
    /** The sample the slot's last complete decode filled, or null when there is nothing to reuse. */
    private ThreadSample[] lastSample = new ThreadSample[0];
    private long[] lastThreadState = new long[0];
    private long[] lastStart = new long[0];
    private int[] lastDepth = new int[0];
    private int[] lastSteps = new int[0];
    private long[] lastVersion = new long[0];
    private OutsideFrames[] outside = new OutsideFrames[0];
    private boolean[] reused = new boolean[0];
    /** Set when decoding a slot read memory other than its frames (thread-local bytecode): not reusable. */
    private boolean[] readElsewhere = new boolean[0];
    private int outsideBudget;
    /** The GIL holder this walk, -1 until read. */
    private long gilHolder;

    // One batched read: what to read where.
    private long[] batchAddresses = new long[0];
    private ByteBuffer[] batchBuffers = new ByteBuffer[0];
    private int[] batchLengths = new int[0];
    private int[] pendingSlots = new int[0];

    // The main interpreter's thread list as last seen, for speculative batched reads.
    private long cachedInterp;
    private long[] cachedStates = new long[16];
    private int cachedStatesCount;

    public StackWalker(Memory memory, Layout layout, long firstInterpreter, CodeCache codes, GilReader gil)
            throws PyspyException {
        this.memory = memory;
        this.codes = codes;
        this.gil = gil;
        this.firstInterpreter = firstInterpreter;
        interpNext = layout.offset("PyInterpreterState.next");
        interpThreads = layout.offset("PyInterpreterState.tstate_head");
        tsNext = layout.offset("PyThreadState.next");
        tsThreadId = layout.offset("PyThreadState.thread_id");
        tsNativeId = layout.offsetOr("PyThreadState.native_thread_id", -1);
        interpreterFrames = layout.has("_PyInterpreterFrame.previous");
        if (!interpreterFrames) {
            tsFrame = layout.offset("PyThreadState.frame");
            tsCFrame = -1;
            cfCurrentFrame = -1;
        } else if (layout.has("PyThreadState.cframe")) {
            tsFrame = -1;
            tsCFrame = layout.offset("PyThreadState.cframe");
            cfCurrentFrame = layout.offset("_PyCFrame.current_frame");
        } else {
            tsFrame = layout.offset("PyThreadState.current_frame");
            tsCFrame = -1;
            cfCurrentFrame = -1;
        }
        tsChunk = layout.offsetOr("PyThreadState.datastack_chunk", -1);
        // datastack_top follows datastack_chunk in every version that has data stacks (3.11+)
        tsStackTop = tsChunk < 0 ? -1 : layout.offsetOr("PyThreadState.datastack_top", tsChunk + 8);
        chunkSets = tsChunk < 0 ? null : new StackChunks[0];
        int tsEnd = Math.max(Math.max(Math.max(tsNext, tsThreadId), Math.max(tsNativeId, Math.max(tsFrame, tsCFrame))),
                tsStackTop) + 8;
        tsSize = tsEnd;

        if (interpreterFrames) {
            fPrevious = layout.offset("_PyInterpreterFrame.previous");
            fCode = layout.offset("_PyInterpreterFrame.executable");
            fInstr = layout.offset("_PyInterpreterFrame.instr");
            // Shim frames holding no Python code: owned by the C stack (3.12-3.14) or the
            // interpreter's entry frame (3.14+). 3.14 renumbered the owners: the values come from
            // the table. 3.11 frames have an owner too, but no shim frames to skip.
            ownedByCStack = (int) layout.value("const.FRAME_OWNED_BY_CSTACK", -1);
            ownedByInterpreter = (int) layout.value("const.FRAME_OWNED_BY_INTERPRETER", -1);
            fOwner = ownedByCStack >= 0 || ownedByInterpreter >= 0 ? layout.offset("_PyInterpreterFrame.owner") : -1;
            fIsEntry = layout.offsetOr("_PyInterpreterFrame.is_entry", -1);
            codeAdaptive = layout.offset("PyCodeObject.co_code_adaptive");
            // 3.14+: f_executable is a tagged _PyStackRef; clearing the tag bits gives the object
            executableMask = ~layout.value("const.Py_TAG_BITS", 0);
            // free-threaded 3.14+: instr_ptr points into the thread's own copy of the bytecode
            boolean tlbc = layout.has("_PyInterpreterFrame.tlbc_index") && layout.has("PyCodeObject.co_tlbc");
            fTlbcIndex = tlbc ? layout.offset("_PyInterpreterFrame.tlbc_index") : -1;
            codeTlbc = tlbc ? layout.offset("PyCodeObject.co_tlbc") : -1;
            tlbcEntries = tlbc ? layout.offsetOr("_PyCodeArray.entries", 8) : -1;
            frameSize = Math.max(Math.max(Math.max(fPrevious, fCode), Math.max(fInstr, Math.max(fOwner, fIsEntry))),
                    fTlbcIndex) + 8;
            int[][] fields = {{fPrevious, 8}, {fCode, 8}, {fInstr, 8}, {fOwner, 1}, {fIsEntry, 1}, {fTlbcIndex, 4}};
            decodedFieldOffsets = java.util.Arrays.stream(fields).filter(f -> f[0] >= 0).mapToInt(f -> f[0]).toArray();
            decodedFieldWidths = java.util.Arrays.stream(fields).filter(f -> f[0] >= 0).mapToInt(f -> f[1]).toArray();
        } else {
            fPrevious = layout.offset("PyFrameObject.f_back");
            fCode = layout.offset("PyFrameObject.f_code");
            fInstr = layout.offset("PyFrameObject.f_lasti");
            fOwner = -1;
            fIsEntry = -1;
            ownedByCStack = -1;
            ownedByInterpreter = -1;
            codeAdaptive = 0;
            executableMask = -1L;
            fTlbcIndex = -1;
            codeTlbc = -1;
            tlbcEntries = -1;
            frameSize = Math.max(fPrevious, Math.max(fCode, fInstr)) + 8;
            decodedFieldOffsets = null; // no data-stack chunks before 3.11
            decodedFieldWidths = null;
        }
    }

    /**
     * Reads every thread's stack into {@code out} (its previous contents are replaced). Reads are
     * batched across threads: the thread list (speculatively, as it was last time) in one call,
     * each thread's frame pointer and data-stack chunk in one more, then frames outside the data
     * stacks one level at a time for all threads together.
     */
    public void walk(StackSnapshot out) throws MemoryReadException {
        out.reset();
        codes.beginWalk();
        copyBudget = MAX_COPY_PER_WALK;
        frameBudget = MAX_FRAMES_PER_WALK;
        outsideBudget = MAX_OUTSIDE_PER_WALK;
        gilHolder = -1;
        int interpreters = 0;
        long interp = firstInterpreter;
        long saved = 0; // Brent's cycle detection, as for thread lists
        int power = 1;
        while (interp != 0) {
            if (++interpreters > MAX_INTERPRETERS || interp == saved) {
                throw new MemoryReadException("interpreter list does not end (corrupt or changing)");
            }
            if (interpreters == power) {
                saved = interp;
                power <<= 1;
            }
            int first = out.threadCount();
            long next = readThreadStates(interp, out);
            if (gilHolder < 0) {
                gilHolder = gil.holder(); // not read with the thread states (first walk, or the list changed)
            }
            int n = out.threadCount() - first;
            readFramePointersAndChunks(out, first, n);
            for (int i = first; i < first + n; i++) {
                ThreadSample t = out.thread(i);
                t.ownsGil = gilHolder != 0 && gilHolder == t.threadState;
            }
            decideReuse(out, first, n);
            walkFrames(out, first, n);
            interp = next;
        }
        trimSlots(out.threadCount());
    }

    /**
     * Phase 1: the interpreter's thread states; returns the next interpreter. Reads the GIL holder
     * into {@link #gilHolder} in the same call when it speculates.
     */
    private long readThreadStates(long interp, StackSnapshot out) throws MemoryReadException {
        int first = out.threadCount();
        int guess = cachedCount(interp);
        if (guess > 0) {
            // Speculate that the thread list is unchanged: read the list head, the next-interpreter
            // pointer, every remembered thread state and the GIL in one call, then check the chain.
            ensureSlots(first + guess);
            ensureBatch(guess + 2 + GilReader.maxReads());
            batchAddresses[0] = interp + interpThreads;
            batchBuffers[0] = headBuf;
            batchLengths[0] = 8;
            batchAddresses[1] = interp + interpNext;
            batchBuffers[1] = nextBuf;
            batchLengths[1] = 8;
            for (int i = 0; i < guess; i++) {
                batchAddresses[2 + i] = cachedStates[i];
                batchBuffers[2 + i] = tsBufs[first + i];
                batchLengths[2 + i] = tsSize;
            }
            int k = gilHolder < 0 ? gil.addReads(batchAddresses, batchBuffers, batchLengths, guess + 2) : guess + 2;
            memory.readAll(batchAddresses, batchBuffers, batchLengths, k);
            if (k > guess + 2) {
                gilHolder = gil.holderFromBatch();
            }
            boolean same = headBuf.getLong(0) == cachedStates[0];
            for (int i = 0; same && i < guess; i++) {
                long expected = i + 1 < guess ? cachedStates[i + 1] : 0;
                same = tsBufs[first + i].getLong(tsNext) == expected;
            }
            if (same) {
                for (int i = 0; i < guess; i++) {
                    adopt(out, first + i, cachedStates[i]);
                }
                return nextBuf.getLong(0);
            }
        }
        int count = 0;
        long saved = 0; // Brent's cycle detection: a looping list is spotted within twice its length
        int power = 1;
        int sinceSaved = 0;
        for (long ts = readPointer(interp + interpThreads); ts != 0; count++) {
            if (first + count >= MAX_THREADS || ts == saved) {
                throw new MemoryReadException("thread list does not end (corrupt or changing)");
            }
            if (++sinceSaved == power) {
                saved = ts;
                power <<= 1;
                sinceSaved = 0;
            }
            ensureSlots(first + count + 1);
            memory.read(ts, tsBufs[first + count], tsSize);
            adopt(out, first + count, ts);
            ts = tsBufs[first + count].getLong(tsNext);
        }
        remember(interp, out, first, count);
        return readPointer(interp + interpNext);
    }

    private void adopt(StackSnapshot out, int slot, long ts) {
        ByteBuffer b = tsBufs[slot];
        ThreadSample t = out.next();
        t.threadState = ts;
        t.threadId = b.getLong(tsThreadId);
        t.nativeThreadId = tsNativeId >= 0 ? b.getLong(tsNativeId) : 0;
    }

    /**
     * Phase 2: frame pointers behind the cframe (3.11-3.12), data-stack chunks and, speculatively,
     * the frames each thread's last walk read outside its chunks, in one call.
     */
    private void readFramePointersAndChunks(StackSnapshot out, int first, int n) throws MemoryReadException {
        long budget = copyBudget;
        try {
            readFramePointersAndChunks(first, n, true);
        } catch (MemoryReadException e) {
            int probes = 0;
            for (int i = first; i < first + n; i++) {
                probes += outside[i].probeCount();
            }
            if (probes == 0) {
                throw e;
            }
            // a speculative address may be gone (a finished generator, an exited thread): without them
            for (int i = first; i < first + n; i++) {
                outside[i].forget();
            }
            copyBudget = budget;
            readFramePointersAndChunks(first, n, false);
        }
    }

    private void readFramePointersAndChunks(int first, int n, boolean probe) throws MemoryReadException {
        int probes = 0;
        for (int i = first; i < first + n; i++) {
            allocateFrameBuffers(i);
            probes += probe ? outside[i].probeCount() : 0;
        }
        int k = 0;
        ensureBatch(2 * n + probes);
        for (int i = first; i < first + n; i++) {
            ByteBuffer b = tsBufs[i];
            cursors[i] = tsCFrame >= 0 ? 0 : b.getLong(tsFrame);
            if (tsCFrame >= 0 && b.getLong(tsCFrame) != 0) {
                batchAddresses[k] = b.getLong(tsCFrame) + cfCurrentFrame;
                batchBuffers[k] = cframeBufs[i];
                batchLengths[k] = 8;
                k++;
            }
            if (chunkSets != null) {
                StackChunks c = chunkSets[i];
                int length = c.prepare(b.getLong(tsChunk), b.getLong(tsStackTop), copyBudget);
                copyBudget -= length;
                if (length > 0) {
                    batchAddresses[k] = b.getLong(tsChunk);
                    batchBuffers[k] = c.buffer();
                    batchLengths[k] = length;
                    k++;
                }
            }
            if (probe) {
                k = outside[i].addProbes(batchAddresses, batchBuffers, batchLengths, k);
            } else {
                outside[i].dropProbes();
            }
        }
        if (k > 0) {
            memory.readAll(batchAddresses, batchBuffers, batchLengths, k);
        }
        for (int i = first; i < first + n; i++) {
            if (tsCFrame >= 0 && tsBufs[i].getLong(tsCFrame) != 0) {
                cursors[i] = cframeBufs[i].getLong(0);
            }
            if (chunkSets != null) {
                copyBudget -= chunkSets[i].complete(copyBudget);
            }
        }
    }

    /**
     * Reuses a thread's previous decode when everything that decode was computed from is unchanged:
     * the same thread state and first frame, data-stack chunks at the same addresses and lengths
     * with the same values in every frame field it read there, and the same bytes at every frame it
     * read outside them (probed in this walk's batch).
     * The chain is then the same chain through the same fields, so decoding again would give the
     * same frames; it must not have been cut short, nor read anything else (thread-local bytecode).
     * Every other thread is decoded afresh (and its old decode forgotten first, so a failed walk
     * cannot leave a half-written one to reuse).
     */
    private void decideReuse(StackSnapshot out, int first, int n) {
        for (int i = first; i < first + n; i++) {
            ThreadSample t = out.thread(i);
            boolean same = lastSample[i] == t
                    && lastThreadState[i] == t.threadState
                    && lastStart[i] == cursors[i]
                    && lastSteps[i] <= frameBudget
                    && outside[i].probeCount() <= outsideBudget
                    && (chunkSets == null || chunkSets[i].sameFramesAsPrevious(decodedFieldOffsets, decodedFieldWidths))
                    && outside[i].unchanged();
            reused[i] = same;
            if (same) {
                t.depth = lastDepth[i];
                t.stackVersion = lastVersion[i];
                frameBudget -= lastSteps[i];
                outsideBudget -= outside[i].probeCount(); // kept for another walk: counts as recorded again
                cursors[i] = 0;
            } else {
                lastSample[i] = null;
                lastStart[i] = cursors[i];
                readElsewhere[i] = false;
                outside[i].startWalk();
                if (chunkSets != null) {
                    chunkSets[i].beginDecode();
                }
            }
        }
    }

    /** After a fresh decode: remembers what it was computed from, for the next walk. */
    private void rememberDecode(ThreadSample t, int i) {
        OutsideFrames o = outside[i];
        o.endWalk();
        if (t.truncated || readElsewhere[i]) {
            o.forget();
            return;
        }
        t.stackVersion = versions.incrementAndGet();
        lastSample[i] = t;
        lastThreadState[i] = t.threadState;
        lastDepth[i] = t.depth;
        lastSteps[i] = steps[i];
        lastVersion[i] = t.stackVersion;
    }

    /**
     * Phase 3: follows every thread's frame chain. Frames inside a copied chunk are decoded in
     * place; the others (frame objects before 3.11, generator and C-stack frames after) are read
     * one level at a time for all threads in one call.
     */
    private void walkFrames(StackSnapshot out, int first, int n) throws MemoryReadException {
        for (int i = first; i < first + n; i++) {
            steps[i] = 0;
        }
        while (true) {
            int k = 0;
            ensureBatch(n);
            for (int i = first; i < first + n; i++) {
                ThreadSample t = out.thread(i);
                long frame = cursors[i];
                while (frame != 0) {
                    int base = chunkSets == null ? -1 : chunkSets[i].find(frame, frameSize);
                    if (base >= 0) {
                        chunkSets[i].decoded(base);
                        frame = decode(t, chunkSets[i].buffer(), base, frame, i);
                        continue;
                    }
                    ByteBuffer probed = outside[i].probeFor(frame);
                    if (probed == null) {
                        break;
                    }
                    outside[i].record(frame, probed, --outsideBudget >= 0);
                    frame = decode(t, probed, 0, frame, i);
                }
                cursors[i] = frame;
                if (frame != 0) {
                    batchAddresses[k] = frame;
                    batchBuffers[k] = frameBufs[i];
                    batchLengths[k] = frameSize;
                    pendingSlots[k] = i;
                    k++;
                }
            }
            if (k == 0) {
                break;
            }
            memory.readAll(batchAddresses, batchBuffers, batchLengths, k);
            for (int j = 0; j < k; j++) {
                int i = pendingSlots[j];
                outside[i].record(cursors[i], frameBufs[i], --outsideBudget >= 0);
                cursors[i] = decode(out.thread(i), frameBufs[i], 0, cursors[i], i);
            }
        }
        for (int i = first; i < first + n; i++) {
            ThreadSample t = out.thread(i);
            if (interpreterFrames && fIsEntry < 0) {
                t.markLastAsEntry(); // the outermost frame was entered from C
            }
            if (!reused[i]) {
                rememberDecode(t, i);
            }
        }
    }

    /** Decodes one frame held at {@code base} in {@code b}; returns the next (older) frame, 0 to stop. */
    private long decode(ThreadSample t, ByteBuffer b, int base, long frame, int slot) throws MemoryReadException {
        if (++steps[slot] > MAX_DEPTH * 2 || t.depth >= MAX_DEPTH || --frameBudget < 0) {
            t.truncated = true;
            return 0;
        }
        long previous = b.getLong(base + fPrevious);
        if (!interpreterFrames) {
            CodeInfo code = codes.get(b.getLong(base + fCode));
            if (code == null) {
                throw new MemoryReadException(String.format("frame 0x%x does not point at a code object", frame));
            }
            t.push(code, code.lineAt(b.getInt(base + fInstr)), frame, true);
            return previous;
        }
        byte owner = fOwner >= 0 ? b.get(base + fOwner) : -1;
        if (fOwner >= 0 && (owner == ownedByCStack || owner == ownedByInterpreter)) {
            // A shim frame (C stack / interpreter entry): not Python code, but the frame above it was entered from C.
            t.markLastAsEntry();
            return previous;
        }
        long executable = b.getLong(base + fCode) & executableMask;
        CodeInfo code = executable == 0 ? null : codes.get(executable);
        if (code != null) {
            long index = (b.getLong(base + fInstr) - bytecodeStart(executable, b, base, slot)) / 2;
            int line = index < 0 || index > Integer.MAX_VALUE ? code.firstLine() : code.lineAt((int) index);
            t.push(code, line, frame, fIsEntry >= 0 && b.get(base + fIsEntry) != 0);
        }
        return previous;
    }

    /**
     * Where the bytecode {@code instr_ptr} points into starts: the code object's own
     * {@code co_code_adaptive}, or in free-threaded 3.14+ the thread's copy
     * {@code co_tlbc->entries[frame->tlbc_index]} (index 0 is co_code_adaptive itself).
     */
    private long bytecodeStart(long code, ByteBuffer b, int base, int slot) throws MemoryReadException {
        if (fTlbcIndex >= 0) {
            int index = b.getInt(base + fTlbcIndex);
            if (index > 0 && index < 1 << 16) {
                readElsewhere[slot] = true;
                long array = readPointer(code + codeTlbc);
                long copy = array == 0 ? 0 : readPointer(array + tlbcEntries + 8L * index);
                if (copy != 0) {
                    return copy;
                }
            }
        }
        return code + codeAdaptive;
    }

    // --- the remembered thread list (per interpreter) and per-thread buffers ---

    private int cachedCount(long interp) {
        return interp == cachedInterp ? cachedStatesCount : 0;
    }

    private void remember(long interp, StackSnapshot out, int first, int count) {
        if (interp != firstInterpreter) {
            return; // only the main interpreter's list is speculated on
        }
        cachedInterp = interp;
        if (cachedStates.length < count) {
            cachedStates = new long[Math.max(count, cachedStates.length * 2)];
        }
        for (int i = 0; i < count; i++) {
            cachedStates[i] = out.thread(first + i).threadState;
        }
        cachedStatesCount = count;
    }

    private void ensureSlots(int n) {
        if (tsBufs.length >= n) {
            return;
        }
        int size = Math.max(n, tsBufs.length * 2);
        int old = tsBufs.length;
        resizeSlots(size);
        for (int i = old; i < size; i++) {
            tsBufs[i] = ByteBuffer.allocateDirect(tsSize).order(ByteOrder.LITTLE_ENDIAN);
        }
        ensureBatch(size + 2);
    }

    /**
     * A slot's frame and chunk buffers, made when a thread in it is first walked (not when a
     * thread list, perhaps a corrupt one, is merely read).
     */
    private void allocateFrameBuffers(int i) {
        if (frameBufs[i] == null) {
            frameBufs[i] = ByteBuffer.allocateDirect(frameSize).order(ByteOrder.LITTLE_ENDIAN);
            cframeBufs[i] = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            outside[i] = new OutsideFrames(frameSize);
            if (chunkSets != null) {
                chunkSets[i] = new StackChunks(memory, chunkPiece);
            }
        }
    }

    /**
     * Gives back the slots of threads that are gone once far more slots exist than threads (after
     * a program ended thousands of threads, or a garbage thread list was read).
     */
    private void trimSlots(int threads) {
        int keep = Math.max(64, 2 * threads);
        if (tsBufs.length <= 4 * keep) {
            return;
        }
        resizeSlots(keep);
        resizeBatch(keep + 2);
    }

    /** Every per-slot array at {@code size} slots: one list, so a new per-slot array cannot be missed. */
    private void resizeSlots(int size) {
        tsBufs = java.util.Arrays.copyOf(tsBufs, size);
        frameBufs = java.util.Arrays.copyOf(frameBufs, size);
        cframeBufs = java.util.Arrays.copyOf(cframeBufs, size);
        cursors = java.util.Arrays.copyOf(cursors, size);
        steps = java.util.Arrays.copyOf(steps, size);
        if (chunkSets != null) {
            chunkSets = java.util.Arrays.copyOf(chunkSets, size);
        }
        lastSample = java.util.Arrays.copyOf(lastSample, size);
        lastThreadState = java.util.Arrays.copyOf(lastThreadState, size);
        lastStart = java.util.Arrays.copyOf(lastStart, size);
        lastDepth = java.util.Arrays.copyOf(lastDepth, size);
        lastSteps = java.util.Arrays.copyOf(lastSteps, size);
        lastVersion = java.util.Arrays.copyOf(lastVersion, size);
        outside = java.util.Arrays.copyOf(outside, size);
        reused = java.util.Arrays.copyOf(reused, size);
        readElsewhere = java.util.Arrays.copyOf(readElsewhere, size);
    }

    private void ensureBatch(int n) {
        if (batchAddresses.length < n + 2) {
            resizeBatch(Math.max(n + 2, batchAddresses.length * 2));
        }
    }

    /** The batch arrays, empty, at {@code size} entries (they hold nothing between reads). */
    private void resizeBatch(int size) {
        batchAddresses = new long[size];
        batchBuffers = new ByteBuffer[size];
        batchLengths = new int[size];
        pendingSlots = new int[size];
    }

    private long readPointer(long address) throws MemoryReadException {
        memory.read(address, wordBuf, 8);
        return wordBuf.getLong(0);
    }
}
