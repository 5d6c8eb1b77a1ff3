package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads an interpreter's list of thread states ({@code PyInterpreterState.tstate_head}, then each
 * {@code PyThreadState.next}) into the walker's slots. The main interpreter's list is remembered and
 * read speculatively, as it was last time, in one batched call after the GIL's fields; the chain is
 * then checked, and followed one read at a time only when it changed.
 */
final class ThreadStateList {
    private static final int MAX_THREADS = 100_000;

    private final ProcessMemory memory;
    private final GilReader gil;
    private final long firstInterpreter;
    private final int interpNext;
    private final int interpThreads;
    private final int tsNext;
    private final int tsThreadId;
    private final int tsNativeId;

    private final ByteBuffer wordBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer headBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer nextBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    // The main interpreter's thread list as last seen, for speculative batched reads.
    private long cachedInterp;
    private long[] cachedStates = new long[16];
    private int cachedStatesCount;
    /** The GIL holder read with the last speculative read, -1 when the last read did not read it. */
    private long gilHolder = -1;
    /** What the GIL says of the main interpreter's threads, judged where its fields are read. */
    private final GilSwitches switches = new GilSwitches();
    /** Bytes of each thread state the last read read. */
    private int lastTsSize;

    ThreadStateList(ProcessMemory memory, Layout layout, long firstInterpreter, GilReader gil) throws PyspyException {
        this.memory = memory;
        this.gil = gil;
        this.firstInterpreter = firstInterpreter;
        interpNext = layout.offset("PyInterpreterState.next");
        interpThreads = layout.offset("PyInterpreterState.tstate_head");
        tsNext = layout.offset("PyThreadState.next");
        tsThreadId = layout.offset("PyThreadState.thread_id");
        tsNativeId = layout.offsetOr("PyThreadState.native_thread_id", -1);
    }

    /** Which threads of the last {@link #read} of the main interpreter the GIL says are still. */
    GilSwitches gilSwitches() {
        return switches;
    }

    /** Bytes of a thread state this class reads, from its start. */
    int stateBytes() {
        return Math.max(tsNext, Math.max(tsThreadId, tsNativeId)) + 8;
    }

    /**
     * Appends the thread states of {@code interp} to {@code out}, each read whole ({@code tsSize}
     * bytes) into its slot's buffer; returns the next interpreter. With {@code wantGil}, the GIL
     * holder is read in the same call when the read speculates ({@link #gilHolder()}).
     */
    long read(long interp, RawStacks out, ThreadSlots slots, ReadBatch batch, int tsSize, boolean wantGil)
            throws MemoryReadException {
        gilHolder = -1;
        int first = out.threadCount();
        int readBefore = lastTsSize;
        lastTsSize = tsSize;
        int guess = interp == cachedInterp ? cachedStatesCount : 0;
        if (wantGil) {
            switches.notJudged(); // unless the speculative read below judges it
        }
        if (guess > 0) {
            // Speculate that the thread list is unchanged: read the GIL (first: before any thread's
            // state), the list head, the next-interpreter pointer and every remembered thread state
            // in one call, then check the chain. When the GIL can say the threads are still, it is
            // read alone first, and only the states it cannot vouch for follow.
            slots.ensure(first + guess);
            batch.ensure(guess + 2 + GilReader.maxReads());
            int k = wantGil ? gil.addReads(batch.addresses, batch.buffers, batch.lengths, 0) : 0;
            boolean gilRead = k > 0;
            // (widened slots lost what they held: read them all again)
            boolean judge = gilRead && switches.mayJudge() && tsSize == readBefore;
            k = batch.add(k, interp + interpThreads, headBuf, 8);
            k = batch.add(k, interp + interpNext, nextBuf, 8);
            if (judge) {
                batch.read(memory, k);
                gilHolder = gil.holderFromBatch();
                switches.begin(gil, nextBuf.getLong(0) == 0);
                if (switches.quiet() && readAroundHolder(out, slots, batch, first, guess, tsSize)) {
                    return nextBuf.getLong(0);
                }
                k = 0;
                gilRead = false;
            }
            for (int i = 0; i < guess; i++) {
                k = batch.add(k, cachedStates[i], slots.get(first + i).threadState, tsSize);
            }
            batch.read(memory, k);
            if (gilRead) {
                gilHolder = gil.holderFromBatch();
                switches.begin(gil, nextBuf.getLong(0) == 0);
            }
            switches.readAll();
            boolean same = headBuf.getLong(0) == cachedStates[0];
            for (int i = 0; same && i < guess; i++) {
                long expected = i + 1 < guess ? cachedStates[i + 1] : 0;
                same = slots.get(first + i).threadState.getLong(tsNext) == expected;
            }
            if (same) {
                for (int i = 0; i < guess; i++) {
                    adopt(out, slots.get(first + i).threadState, cachedStates[i]);
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
            slots.ensure(first + count + 1);
            ByteBuffer state = slots.get(first + count).threadState;
            memory.read(ts, state, tsSize);
            adopt(out, state, ts);
            ts = state.getLong(tsNext);
        }
        remember(interp, out, first, count);
        return readPointer(interp + interpNext);
    }

    /**
     * A quiet walk's thread states ({@link GilSwitches}): the list's head is as remembered, and only
     * the GIL's last holder and its neighbours in the list are read (the holder may have run, and
     * added or removed threads; a thread removes itself holding the GIL, which rewrites the
     * neighbour before it). The others' states stand as last read. False when the list changed.
     */
    private boolean readAroundHolder(RawStacks out, ThreadSlots slots, ReadBatch batch, int first, int guess,
                                     int tsSize) throws MemoryReadException {
        if (headBuf.getLong(0) != cachedStates[0]) {
            return false;
        }
        for (int i = 0; i < guess; i++) {
            if (!slots.get(first + i).readSinceGilCount) {
                return false; // its state may have moved since it was read: all are read
            }
        }
        int held = -1;
        long holder = gil.lastHolder();
        for (int i = 0; i < guess && held < 0; i++) {
            held = cachedStates[i] == holder ? i : -1;
        }
        if (held >= 0) {
            int from = Math.max(0, held - 1);
            int to = Math.min(guess, held + 2);
            int k = 0;
            for (int i = from; i < to; i++) {
                k = batch.add(k, cachedStates[i], slots.get(first + i).threadState, tsSize);
            }
            batch.read(memory, k);
            for (int i = from; i < to; i++) {
                long expected = i + 1 < guess ? cachedStates[i + 1] : 0;
                if (slots.get(first + i).threadState.getLong(tsNext) != expected) {
                    return false;
                }
            }
        }
        for (int i = 0; i < guess; i++) {
            adopt(out, slots.get(first + i).threadState, cachedStates[i]);
        }
        switches.readAroundHolder();
        return true;
    }

    /**
     * The GIL holder the last {@link #read} read before the thread states, -1 when it did not (and
     * then {@link GilReader#switches} is not of this read either).
     */
    long gilHolder() {
        return gilHolder;
    }

    private void adopt(RawStacks out, ByteBuffer b, long ts) {
        RawThreadStack t = out.next();
        t.threadState = ts;
        t.threadId = b.getLong(tsThreadId);
        t.nativeThreadId = tsNativeId >= 0 ? b.getLong(tsNativeId) : 0;
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

    private long readPointer(long address) throws MemoryReadException {
        memory.read(address, wordBuf, 8);
        return wordBuf.getLong(0);
    }
}
