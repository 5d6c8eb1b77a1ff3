package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A coroutine read from outside: its frame (code and line, decoded like a thread's frames) and, while
 * it is suspended in an {@code await}, the object it awaits: the top of its frame's value stack, as
 * CPython's own {@code cr_await} finds it. Following that from a task's coroutine gives the task's
 * chain of awaiting coroutines.
 */
final class CoroutineChain {
    /** Deeper chains of awaits than this are cut: no real program nests coroutines this far. */
    static final int MAX_DEPTH = 256;

    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final ProcessMemory memory;
    private final FrameDecoder decoder;
    private final RawThreadStack decoded = new RawThreadStack();
    private final ThreadSlot slot = new ThreadSlot(8);
    private final ByteBuffer frameBytes;
    private final TaskTypes types;
    private final RawThreadStack outerFirst = new RawThreadStack();

    CoroutineChain(AsyncioOffsets offsets, ObjectReads reads, ProcessMemory memory, Layout layout, CodeCache codes,
            TaskTypes types) throws PyspyException {
        this.o = offsets;
        this.types = types;
        this.reads = reads;
        this.memory = memory;
        this.decoder = FrameDecoder.forLayout(layout, memory, codes);
        this.frameBytes = ByteBuffer.allocateDirect(decoder.frameSize()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Pushes onto {@code out} the chain of a suspended coroutine, innermost first: each coroutine's frame,
     * following the coroutine each awaits while that is a coroutine or generator. Returns how many
     * frames it pushed (none for a coroutine not started or finished).
     */
    int pushChain(long coro, RawThreadStack out) throws MemoryReadException {
        outerFirst.clear();
        long c = coro;
        for (int depth = 0; depth < MAX_DEPTH && c != 0 && types.isCoroutine(c); depth++) {
            long frame = frameAddress(c);
            if (frame == 0) {
                break;
            }
            pushFrame(frame, outerFirst);
            c = awaited(c, frame);
        }
        for (int i = outerFirst.depth - 1; i >= 0; i--) {
            out.push(outerFirst.codes[i], outerFirst.lines[i], outerFirst.frameAddresses[i], false);
        }
        return outerFirst.depth;
    }

    /**
     * The address of the coroutine's frame, as a thread's walk records it while the coroutine runs (a
     * frame object up to 3.10, the frame inside the coroutine after); 0 when it has finished.
     */
    long frameAddress(long coro) throws MemoryReadException {
        if (o.genFrame != AsyncioOffsets.ABSENT) {
            return reads.readLong(coro + o.genFrame);
        }
        return AsyncioOffsets.contains(o.goneStates, frameState(coro)) ? 0 : coro + o.genInterpreterFrame;
    }

    /** Decodes the coroutine's frame at {@code frame} (from {@link #frameAddress}) into {@code out}. */
    void pushFrame(long frame, RawThreadStack out) throws MemoryReadException {
        memory.read(frame, frameBytes, frameBytes.capacity());
        decoded.clear();
        decoder.decode(decoded, frameBytes, 0, frame, slot);
        if (decoded.depth == 1) {
            out.push(decoded.codes[0], decoded.lines[0], frame, false);
        }
    }

    /**
     * What the coroutine awaits: the top of its suspended frame's value stack (3.15: the slot below,
     * under the value sent in; the table says which); 0 when it is not suspended.
     */
    long awaited(long coro, long frame) throws MemoryReadException {
        if (o.genFrame != AsyncioOffsets.ABSENT) {
            // up to 3.10: a frame object; not started while f_lasti < 0
            if (reads.read(frame + o.frameLasti, 4).getInt(0) < 0) {
                return 0;
            }
            if (o.frameStacktopPointer != AsyncioOffsets.ABSENT) {
                long top = reads.readLong(frame + o.frameStacktopPointer);   // NULL while it runs
                return top == 0 ? 0 : reads.readLong(top - o.awaitedBelowTop);
            }
            int depth = reads.read(frame + o.frameStackdepth, 4).getInt(0);    // -1 while it runs
            return 8L * depth < o.awaitedBelowTop ? 0
                    : reads.readLong(reads.readLong(frame + o.frameValuestack) + 8L * depth - o.awaitedBelowTop);
        }
        if (!AsyncioOffsets.contains(o.suspendedStates, frameState(coro))) {
            return 0;
        }
        if (o.interpreterFrameStackpointer != AsyncioOffsets.ABSENT) {
            long sp = reads.readLong(frame + o.interpreterFrameStackpointer);
            return sp == 0 ? 0 : reads.readLong(sp - o.awaitedBelowTop) & o.tagMask;
        }
        int top = reads.read(frame + o.interpreterFrameStacktop, 4).getInt(0);
        return 8L * top < o.awaitedBelowTop ? 0 : reads.readLong(frame + o.localsplus + 8L * top - o.awaitedBelowTop);
    }

    private long frameState(long coro) throws MemoryReadException {
        return reads.read(coro + o.genFrameState, 1).get(0);
    }
}
