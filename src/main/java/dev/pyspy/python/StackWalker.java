package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;

/**
 * Walks every thread of every interpreter and each thread's Python frames, for all versions: reads
 * thread states ({@link ThreadStateList}) and frames in batches, bounds the work, and reuses a
 * thread's last decode when nothing it came from changed ({@link StackReuse}). Versions differ only in
 * the offsets it resolves from the {@link Layout} and in the {@link FrameDecoder} of the frame model
 * the layout describes: {@code PyFrameObject} chains (2.7-3.10) or {@code _PyInterpreterFrame} chains
 * (3.11+, reached through the cframe on 3.11-3.12 and directly on 3.13+).
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
    private static final int MAX_INTERPRETERS = 1024;

    private final ProcessMemory memory;
    private final CodeCache codes;
    private final GilReader gil;
    private final long firstInterpreter;
    private final ThreadStateList threadStates;

    private final int tsFrame;
    private final int tsCFrame;
    private final int cfCurrentFrame;
    private final int tsChunk;
    private final int tsStackTop;
    /** Bytes of each thread state read, from its start: what the walk needs, or more when asked. */
    private int tsSize;

    private final FrameDecoder frames;
    private final int frameSize;
    /** Whether threads have data stacks (3.11+): chunks copied whole, frames decoded in place. */
    private final boolean dataStacks;
    private final StackReuse reuse;

    /** Per thread (its index in the snapshot), reused between walks. */
    private final ThreadSlots slots;
    private final ReadBatch batch = new ReadBatch();
    private long copyBudget;
    private int frameBudget;
    private final ByteBuffer chunkPiece = StackChunks.newPieceBuffer();
    private int outsideBudget;
    /** The GIL holder this walk, -1 until read. */
    private long gilHolder;
    /** This walk's threads known not to have run since their last read (their decode stands unread). */
    private StableThreads stable = StableThreads.NONE;
    /** Threads of the last walk whose decode stood unread (see {@link #stillThreads}). */
    private int still;

    public StackWalker(ProcessMemory memory, Layout layout, long firstInterpreter, CodeCache codes, GilReader gil)
            throws PyspyException {
        this.memory = memory;
        this.codes = codes;
        this.gil = gil;
        this.firstInterpreter = firstInterpreter;
        threadStates = new ThreadStateList(memory, layout, firstInterpreter, gil);
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
        tsSize = Math.max(threadStates.stateBytes(), Math.max(Math.max(tsFrame, tsCFrame), tsStackTop) + 8);
        slots = new ThreadSlots(tsSize);

        frames = FrameDecoder.forLayout(layout, memory, codes);
        frameSize = frames.frameSize();
        reuse = new StackReuse(codes, frames, dataStacks);
    }

    /**
     * From the next walk, reads at least the first {@code bytes} of every thread state in the walk's
     * own batched read of them, so that another reader of their fields ({@link ExceptionStates})
     * makes no read of its own; {@link #threadStateBytes} gives them after each walk.
     */
    void readThreadStatesThrough(int bytes) {
        if (bytes > tsSize) {
            tsSize = bytes;
            slots.widenThreadStates(bytes);
        }
    }

    /** Thread {@code i}'s state as the last walk read it (from its start; see {@link #readThreadStatesThrough}). */
    ByteBuffer threadStateBytes(int i) {
        return slots.get(i).threadState;
    }

    /**
     * Reads every thread's stack into {@code out} (its previous contents are replaced). Reads are
     * batched across threads: the thread list (speculatively, as it was last time) in one call,
     * each thread's frame pointer and data-stack chunk in one more, then frames outside the data
     * stacks one level at a time for all threads together.
     */
    public void walk(RawStacks out) throws MemoryReadException {
        walk(out, StableThreads.NONE);
    }

    /**
     * {@link #walk(RawStacks)}, reading of each thread that {@code stable} says has not run since the
     * last walk only its thread state: its last complete decode stands (thousands of threads asleep in
     * a paused server cost one small read each, not their data stacks).
     */
    public void walk(RawStacks out, StableThreads stable) throws MemoryReadException {
        this.stable = stable;
        still = 0;
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
            // Phase 1: the interpreter's thread states (with the GIL holder, when speculating)
            long next = threadStates.read(interp, out, slots, batch, tsSize, gilHolder < 0);
            if (gilHolder < 0) {
                gilHolder = threadStates.gilHolder();
            }
            if (gilHolder < 0) {
                gilHolder = gil.holder(); // not read with the thread states (first walk, or the list changed)
            }
            int n = out.threadCount() - first;
            markStill(out, first, n);
            readFramePointersAndChunks(out, first, n);
            for (int i = first; i < first + n; i++) {
                RawThreadStack t = out.thread(i);
                t.ownsGil = gilHolder != 0 && gilHolder == t.threadState;
            }
            decideReuse(out, first, n);
            walkFrames(out, first, n);
            interp = next;
        }
        if (slots.trim(out.threadCount())) {
            batch.resize(slots.capacity() + 2);
        }
        threadStates.gilSwitches().completed();
    }

    /**
     * Marks the threads whose last complete decode stands without a read: {@link #stable} or the GIL
     * ({@link GilSwitches}) says they have not run since, and the decode was of this very thread
     * state at this index.
     */
    private void markStill(RawStacks out, int first, int n) {
        for (int i = first; i < first + n; i++) {
            RawThreadStack t = out.thread(i);
            ThreadSlot slot = slots.get(i);
            boolean decoded = slot.lastSample == t && slot.lastThreadState == t.threadState && slot.frame != null;
            boolean stillByGil = decoded && slot.readSinceGilCount && threadStates.gilSwitches().unchanged(i, t);
            slot.still = stillByGil || decoded && stable.unchanged(i, t);
            slot.readSinceGilCount = stillByGil || !slot.still;
            still += slot.still ? 1 : 0;
        }
    }

    /**
     * Whether walks may leave unread the threads the GIL says did not run ({@link GilSwitches}; on by
     * default). Off, every walk reads every thread: an independent decode to check the others by.
     */
    void judgeByGil(boolean on) {
        threadStates.gilSwitches().enable(on);
    }

    /** How many threads of the last walk were not read past their thread state ({@link StableThreads}). */
    int stillThreads() {
        return still;
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
                probes += slots.get(i).outside.probeCount();
            }
            if (probes == 0) {
                throw e;
            }
            // a speculative address may be gone (a finished generator, an exited thread, a freed
            // code object): without them
            codes.dropProbes();
            for (int i = first; i < first + n; i++) {
                slots.get(i).outside.forget();
            }
            copyBudget = budget;
            readFramePointersAndChunks(first, n, false);
        }
    }

    private void readFramePointersAndChunks(int first, int n, boolean probe) throws MemoryReadException {
        int probes = 0;
        for (int i = first; i < first + n; i++) {
            slots.get(i).allocateFrameBuffers(frameSize, memory, chunkPiece, dataStacks);
            probes += probe && !slots.get(i).still ? slots.get(i).outside.probeCount() : 0;
        }
        boolean probeCodes = probe && first == 0; // once per walk, with the first interpreter's threads
        int k = 0;
        batch.ensure(2 * n + probes + (probeCodes ? codes.probeCount() : 0));
        if (probeCodes) {
            k = codes.addProbes(batch.addresses, batch.buffers, batch.lengths, k);
        }
        for (int i = first; i < first + n; i++) {
            ThreadSlot slot = slots.get(i);
            if (slot.still) {
                slot.outside.dropProbes(); // nothing of it is read: its chunks stay as last read
                continue;
            }
            ByteBuffer b = slot.threadState;
            slot.cursor = tsCFrame >= 0 ? 0 : b.getLong(tsFrame);
            if (tsCFrame >= 0 && b.getLong(tsCFrame) != 0) {
                k = batch.add(k, b.getLong(tsCFrame) + cfCurrentFrame, slot.cframe, 8);
            }
            if (dataStacks) {
                int length = slot.chunks.prepare(b.getLong(tsChunk), b.getLong(tsStackTop), copyBudget);
                copyBudget -= length;
                if (length > 0) {
                    k = batch.add(k, b.getLong(tsChunk), slot.chunks.buffer(), length);
                }
            }
            if (probe) {
                k = slot.outside.addProbes(batch.addresses, batch.buffers, batch.lengths, k);
            } else {
                slot.outside.dropProbes();
            }
        }
        if (k > 0) {
            batch.read(memory, k);
        }
        if (probeCodes) {
            codes.checkProbes();
        }
        for (int i = first; i < first + n; i++) {
            ThreadSlot slot = slots.get(i);
            if (slot.still) {
                continue;
            }
            if (tsCFrame >= 0 && slot.threadState.getLong(tsCFrame) != 0) {
                slot.cursor = slot.cframe.getLong(0);
            }
            if (dataStacks) {
                copyBudget -= slot.chunks.complete(copyBudget);
            }
        }
    }

    /**
     * Reuses a thread's previous decode when {@link StackReuse} says nothing it came from changed;
     * every other thread is decoded afresh.
     */
    private void decideReuse(RawStacks out, int first, int n) {
        for (int i = first; i < first + n; i++) {
            RawThreadStack t = out.thread(i);
            ThreadSlot slot = slots.get(i);
            // a still thread's decode stands whatever the budgets: reusing it costs no work
            boolean same = slot.still || reuse.reusable(t, slot, frameBudget, outsideBudget);
            slot.reused = same;
            if (same) {
                t.depth = slot.lastDepth;
                t.stackVersion = slot.lastVersion;
                frameBudget -= slot.lastSteps;
                outsideBudget -= slot.outside.probeCount(); // kept for another walk: counts as recorded again
                slot.cursor = 0;
            } else {
                reuse.beginFreshDecode(slot);
            }
        }
    }

    /**
     * Phase 3: follows every thread's frame chain. Frames inside a copied chunk are decoded in
     * place; the others (frame objects before 3.11, generator and C-stack frames after) are read
     * one level at a time for all threads in one call.
     */
    private void walkFrames(RawStacks out, int first, int n) throws MemoryReadException {
        for (int i = first; i < first + n; i++) {
            slots.get(i).startChain();
        }
        while (true) {
            int k = 0;
            batch.ensure(n);
            for (int i = first; i < first + n; i++) {
                RawThreadStack t = out.thread(i);
                ThreadSlot slot = slots.get(i);
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
                    batch.owners[k] = i;
                    k = batch.add(k, frame, slot.frame, frameSize);
                }
            }
            if (k == 0) {
                break;
            }
            batch.read(memory, k);
            for (int j = 0; j < k; j++) {
                int i = batch.owners[j];
                ThreadSlot slot = slots.get(i);
                slot.outside.record(slot.cursor, slot.frame, --outsideBudget >= 0);
                slot.cursor = decode(out.thread(i), slot.frame, 0, slot.cursor, slot);
            }
        }
        for (int i = first; i < first + n; i++) {
            RawThreadStack t = out.thread(i);
            if (!slots.get(i).reused) {
                frames.endChain(t);
                int omitted = t.omitted();
                if (omitted > 0) {
                    t.cutMiddle(codes.omittedMarker(omitted));
                }
                reuse.rememberDecode(t, slots.get(i));
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
}
