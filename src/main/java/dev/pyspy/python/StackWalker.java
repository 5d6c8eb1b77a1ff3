package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Walks every thread of every interpreter and each thread's Python frames, for all versions: reads
 * thread states and frames in batches, bounds the work, and reuses a thread's last decode when
 * nothing it came from changed. Versions differ only in the offsets it resolves from the {@link Layout}
 * and in the {@link FrameDecoder} of the frame model the layout describes: {@code PyFrameObject}
 * chains (2.7-3.10) or {@code _PyInterpreterFrame} chains (3.11+, reached through the cframe on
 * 3.11-3.12 and directly on 3.13+).
 */
public final class StackWalker {
    /**
     * Frames followed per thread: a deeper chain is cut here (and flagged) so a corrupt one cannot
     * hang us. Real stacks this deep keep their root and innermost frames ({@link RawThreadStack}).
     */
    static final int MAX_STEPS = 1 << 20;
    /**
     * Data-stack bytes copied per walk, all threads together: what thread states claim is not
     * trusted to bound memory (thousands of threads, or garbage read from a changing process).
     * Frames beyond it are read one by one.
     */
    static final long MAX_COPY_PER_WALK = 64L << 20;
    /**
     * Frames decoded per walk, all threads together: a cycle in many threads' chains must not cost
     * threads x {@link #MAX_STEPS}. Threads still unwalked when it runs out are cut (truncated).
     */
    static final int MAX_FRAMES_PER_WALK = 1 << 21;
    /**
     * Outside frames recorded for reuse per walk, all threads together: bounds the memory kept
     * between walks. Threads beyond it are decoded afresh every time.
     */
    static final int MAX_OUTSIDE_PER_WALK = 1 << 15;
    private static final int MAX_THREADS = 100_000;
    /** Stack versions: unique per fresh decode, across walkers (consumers key caches by them). */
    private static final AtomicLong versions = new AtomicLong();
    private static final int MAX_INTERPRETERS = 1024;

    private final ProcessMemory memory;
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

    private final FrameDecoder frames;
    private final int frameSize;
    /** Whether threads have data stacks (3.11+): chunks copied whole, frames decoded in place. */
    private final boolean dataStacks;
    private final ByteBuffer wordBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer headBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer nextBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    /** Per thread (its index in the snapshot), reused between walks. */
    private ThreadSlot[] slots = new ThreadSlot[0];
    private long copyBudget;
    private int frameBudget;
    private final ByteBuffer chunkPiece = StackChunks.newPieceBuffer();
    private int outsideBudget;
    private final IdentityHashMap<CodeInfo, CodeInfo> distinctCodes = new IdentityHashMap<>();
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

    public StackWalker(ProcessMemory memory, Layout layout, long firstInterpreter, CodeCache codes, GilReader gil)
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
        if (!layout.has("_PyInterpreterFrame.previous")) {
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
        dataStacks = tsChunk >= 0;
        int tsEnd = Math.max(Math.max(Math.max(tsNext, tsThreadId), Math.max(tsNativeId, Math.max(tsFrame, tsCFrame))),
                tsStackTop) + 8;
        tsSize = tsEnd;

        frames = FrameDecoder.forLayout(layout, memory, codes);
        frameSize = frames.frameSize();
    }

    /**
     * Reads every thread's stack into {@code out} (its previous contents are replaced). Reads are
     * batched across threads: the thread list (speculatively, as it was last time) in one call,
     * each thread's frame pointer and data-stack chunk in one more, then frames outside the data
     * stacks one level at a time for all threads together.
     */
    public void walk(RawStacks out) throws MemoryReadException {
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
                RawThreadStack t = out.thread(i);
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
    private long readThreadStates(long interp, RawStacks out) throws MemoryReadException {
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
                batchBuffers[2 + i] = slots[first + i].threadState;
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
                same = slots[first + i].threadState.getLong(tsNext) == expected;
            }
            if (same) {
                for (int i = 0; i < guess; i++) {
                    adopt(out, slots[first + i].threadState, cachedStates[i]);
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
            ByteBuffer state = slots[first + count].threadState;
            memory.read(ts, state, tsSize);
            adopt(out, state, ts);
            ts = state.getLong(tsNext);
        }
        remember(interp, out, first, count);
        return readPointer(interp + interpNext);
    }

    private void adopt(RawStacks out, ByteBuffer b, long ts) {
        RawThreadStack t = out.next();
        t.threadState = ts;
        t.threadId = b.getLong(tsThreadId);
        t.nativeThreadId = tsNativeId >= 0 ? b.getLong(tsNativeId) : 0;
    }

    /**
     * Phase 2: frame pointers behind the cframe (3.11-3.12), data-stack chunks and, speculatively,
     * the frames each thread's last walk read outside its chunks, in one call.
     */
    private void readFramePointersAndChunks(RawStacks out, int first, int n) throws MemoryReadException {
        long budget = copyBudget;
        try {
            readFramePointersAndChunks(first, n, true);
        } catch (MemoryReadException e) {
            int probes = first == 0 ? codes.probeCount() : 0;
            for (int i = first; i < first + n; i++) {
                probes += slots[i].outside.probeCount();
            }
            if (probes == 0) {
                throw e;
            }
            // a speculative address may be gone (a finished generator, an exited thread, a freed
            // code object): without them
            codes.dropProbes();
            for (int i = first; i < first + n; i++) {
                slots[i].outside.forget();
            }
            copyBudget = budget;
            readFramePointersAndChunks(first, n, false);
        }
    }

    private void readFramePointersAndChunks(int first, int n, boolean probe) throws MemoryReadException {
        int probes = 0;
        for (int i = first; i < first + n; i++) {
            slots[i].allocateFrameBuffers(frameSize, memory, chunkPiece, dataStacks);
            probes += probe ? slots[i].outside.probeCount() : 0;
        }
        boolean probeCodes = probe && first == 0; // once per walk, with the first interpreter's threads
        int k = 0;
        ensureBatch(2 * n + probes + (probeCodes ? codes.probeCount() : 0));
        if (probeCodes) {
            k = codes.addProbes(batchAddresses, batchBuffers, batchLengths, k);
        }
        for (int i = first; i < first + n; i++) {
            ThreadSlot slot = slots[i];
            ByteBuffer b = slot.threadState;
            slot.cursor = tsCFrame >= 0 ? 0 : b.getLong(tsFrame);
            if (tsCFrame >= 0 && b.getLong(tsCFrame) != 0) {
                batchAddresses[k] = b.getLong(tsCFrame) + cfCurrentFrame;
                batchBuffers[k] = slot.cframe;
                batchLengths[k] = 8;
                k++;
            }
            if (dataStacks) {
                int length = slot.chunks.prepare(b.getLong(tsChunk), b.getLong(tsStackTop), copyBudget);
                copyBudget -= length;
                if (length > 0) {
                    batchAddresses[k] = b.getLong(tsChunk);
                    batchBuffers[k] = slot.chunks.buffer();
                    batchLengths[k] = length;
                    k++;
                }
            }
            if (probe) {
                k = slot.outside.addProbes(batchAddresses, batchBuffers, batchLengths, k);
            } else {
                slot.outside.dropProbes();
            }
        }
        if (k > 0) {
            memory.readAll(batchAddresses, batchBuffers, batchLengths, k);
        }
        if (probeCodes) {
            codes.checkProbes();
        }
        for (int i = first; i < first + n; i++) {
            ThreadSlot slot = slots[i];
            if (tsCFrame >= 0 && slot.threadState.getLong(tsCFrame) != 0) {
                slot.cursor = slot.cframe.getLong(0);
            }
            if (dataStacks) {
                copyBudget -= slot.chunks.complete(copyBudget);
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
    private void decideReuse(RawStacks out, int first, int n) {
        for (int i = first; i < first + n; i++) {
            RawThreadStack t = out.thread(i);
            ThreadSlot slot = slots[i];
            boolean same = slot.lastSample == t
                    && slot.lastThreadState == t.threadState
                    && slot.lastStart == slot.cursor
                    && slot.lastSteps <= frameBudget
                    && slot.outside.probeCount() <= outsideBudget
                    && (!dataStacks || slot.chunks.sameFramesAsPrevious(frames.decodedFieldOffsets(),
                            frames.decodedFieldWidths()))
                    && slot.outside.unchanged()
                    && codesStillValid(slot);
            slot.reused = same;
            if (same) {
                t.depth = slot.lastDepth;
                t.stackVersion = slot.lastVersion;
                frameBudget -= slot.lastSteps;
                outsideBudget -= slot.outside.probeCount(); // kept for another walk: counts as recorded again
                slot.cursor = 0;
            } else {
                slot.lastSample = null;
                slot.lastStart = slot.cursor;
                slot.readElsewhere = false;
                slot.outside.startWalk();
                if (dataStacks) {
                    slot.chunks.beginDecode();
                }
            }
        }
    }

    /** Whether every code object the slot's last decode named still is what its address holds. */
    private boolean codesStillValid(ThreadSlot slot) {
        for (int i = 0; i < slot.lastCodeCount; i++) {
            if (!codes.stillValid(slot.lastCodes[i])) {
                return false;
            }
        }
        return true;
    }

    /** Keeps the code objects of the decode in {@code t} (each once, cut markers aside) in the slot. */
    private void rememberCodes(RawThreadStack t, ThreadSlot slot) {
        distinctCodes.clear();
        int count = 0;
        for (int i = 0; i < t.depth; i++) {
            CodeInfo code = t.codes[i];
            if (code.filename() == null || (i > 0 && code == t.codes[i - 1]) || distinctCodes.put(code, code) != null) {
                continue;
            }
            if (count == slot.lastCodes.length) {
                slot.lastCodes = Arrays.copyOf(slot.lastCodes, Math.max(8, count * 2));
            }
            slot.lastCodes[count++] = code;
        }
        if (count < slot.lastCodeCount) {
            Arrays.fill(slot.lastCodes, count, slot.lastCodeCount, null);
        }
        slot.lastCodeCount = count;
    }

    /** After a fresh decode: remembers what it was computed from, for the next walk. */
    private void rememberDecode(RawThreadStack t, ThreadSlot slot) {
        slot.outside.endWalk();
        if (t.truncated || slot.readElsewhere) {
            slot.outside.forget();
            return;
        }
        t.stackVersion = versions.incrementAndGet();
        slot.lastSample = t;
        slot.lastThreadState = t.threadState;
        slot.lastDepth = t.depth;
        slot.lastSteps = slot.steps;
        slot.lastVersion = t.stackVersion;
        rememberCodes(t, slot);
    }

    /**
     * Phase 3: follows every thread's frame chain. Frames inside a copied chunk are decoded in
     * place; the others (frame objects before 3.11, generator and C-stack frames after) are read
     * one level at a time for all threads in one call.
     */
    private void walkFrames(RawStacks out, int first, int n) throws MemoryReadException {
        for (int i = first; i < first + n; i++) {
            slots[i].startChain();
        }
        while (true) {
            int k = 0;
            ensureBatch(n);
            for (int i = first; i < first + n; i++) {
                RawThreadStack t = out.thread(i);
                ThreadSlot slot = slots[i];
                long frame = slot.cursor;
                while (frame != 0) {
                    int base = dataStacks ? slot.chunks.find(frame, frameSize) : -1;
                    if (base >= 0) {
                        slot.chunks.decoded(base);
                        frame = decode(t, slot.chunks.buffer(), base, frame, slot);
                        continue;
                    }
                    ByteBuffer probed = slot.outside.probeFor(frame);
                    if (probed == null) {
                        break;
                    }
                    slot.outside.record(frame, probed, --outsideBudget >= 0);
                    frame = decode(t, probed, 0, frame, slot);
                }
                slot.cursor = frame;
                if (frame != 0) {
                    batchAddresses[k] = frame;
                    batchBuffers[k] = slot.frame;
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
                ThreadSlot slot = slots[i];
                slot.outside.record(slot.cursor, slot.frame, --outsideBudget >= 0);
                slot.cursor = decode(out.thread(i), slot.frame, 0, slot.cursor, slot);
            }
        }
        for (int i = first; i < first + n; i++) {
            RawThreadStack t = out.thread(i);
            if (!slots[i].reused) {
                frames.endChain(t);
                int omitted = t.omitted();
                if (omitted > 0) {
                    t.cutMiddle(codes.omittedMarker(omitted));
                }
                rememberDecode(t, slots[i]);
            }
        }
    }

    /**
     * Decodes one frame held at {@code base} in {@code b}; returns the next (older) frame, 0 to stop
     * (also when the thread's or the walk's frame budget is spent: the stack is then cut).
     */
    private long decode(RawThreadStack t, ByteBuffer b, int base, long frame, ThreadSlot slot) throws MemoryReadException {
        if (++slot.steps > MAX_STEPS || --frameBudget < 0 || slot.seenBefore(frame)) {
            t.truncated = true;
            return 0;
        }
        return frames.decode(t, b, base, frame, slot);
    }

    // --- the remembered thread list (per interpreter) and per-thread buffers ---

    private int cachedCount(long interp) {
        return interp == cachedInterp ? cachedStatesCount : 0;
    }

    private void remember(long interp, RawStacks out, int first, int count) {
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
        if (slots.length >= n) {
            return;
        }
        int size = Math.max(n, slots.length * 2);
        int old = slots.length;
        slots = Arrays.copyOf(slots, size);
        for (int i = old; i < size; i++) {
            slots[i] = new ThreadSlot(tsSize);
        }
        ensureBatch(size + 2);
    }

    /**
     * Gives back the slots of threads that are gone once far more slots exist than threads (after
     * a program ended thousands of threads, or a garbage thread list was read).
     */
    private void trimSlots(int threads) {
        int keep = Math.max(64, 2 * threads);
        if (slots.length <= 4 * keep) {
            return;
        }
        slots = Arrays.copyOf(slots, keep);
        resizeBatch(keep + 2);
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
