package dev.pyspy.python;

import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the {@link StackWalker} keeps for the thread at one index of its snapshot, reused from walk to
 * walk: the buffers the thread's reads land in, where the walk of its chain stands, and what its last
 * fresh decode was computed from (so an unchanged stack can be reused rather than decoded again).
 */
final class ThreadSlot {
    /** The thread state as read this walk. */
    ByteBuffer threadState;
    /** A frame read outside the data stack; null until the slot's thread is first walked. */
    ByteBuffer frame;
    /** {@code _PyCFrame.current_frame} (3.11-3.12). */
    ByteBuffer cframe;
    /** The thread's data-stack chunks (3.11+), else null. */
    StackChunks chunks;
    /** Frames read outside the data stack, kept to be probed next walk. */
    OutsideFrames outside;

    /** The next frame to decode, 0 when the chain is done. */
    long cursor;
    /** Frames followed this walk (shims included). */
    int steps;
    /** Brent's cycle detection on the chain: a frame saved at each power of two steps. */
    private long savedFrame;
    private int savedPower;
    private int sinceSaved;
    /** Not run since its last read (StableThreads): nothing but its thread state is read this walk. */
    boolean still;
    /**
     * The decode this slot holds was read after the walk's GIL count, or stood by it
     * ({@link GilSwitches}): not merely left unread on another's word ({@link StableThreads}), which
     * a later check may take back. Only such a decode may stand by the GIL's word next time.
     */
    boolean readSinceGilCount;
    /** This walk reused the last decode. */
    boolean reused;
    /** This decode read memory other than its frames (thread-local bytecode): not reusable. */
    boolean readElsewhere;

    /** The sample the slot's last complete decode filled, or null when there is nothing to reuse. */
    RawThreadStack lastSample;
    long lastThreadState;
    long lastStart;
    int lastDepth;
    int lastSteps;
    long lastVersion;
    /** The code objects of the last decode, each once: reusing it needs each still valid. */
    CodeInfo[] lastCodes = new CodeInfo[0];
    int lastCodeCount;

    ThreadSlot(int threadStateSize) {
        threadState = ByteBuffer.allocateDirect(threadStateSize).order(ByteOrder.LITTLE_ENDIAN);
    }

    void startChain() {
        steps = 0;
        savedFrame = 0;
        savedPower = 1;
        sinceSaved = 0;
    }

    /**
     * Whether the chain, followed to {@code frame}, has come back to a frame it passed: a cycle
     * (memory read while it changed) is spotted within twice its length.
     */
    boolean seenBefore(long frame) {
        if (frame == savedFrame) {
            return true;
        }
        if (++sinceSaved == savedPower) {
            savedFrame = frame;
            savedPower <<= 1;
            sinceSaved = 0;
        }
        return false;
    }

    /**
     * Makes the frame and chunk buffers when a thread in this slot is first walked (not when a thread
     * list, perhaps a corrupt one, is merely read).
     */
    void allocateFrameBuffers(int frameSize, ProcessMemory memory, ByteBuffer chunkPiece, boolean dataStacks) {
        if (frame == null) {
            frame = ByteBuffer.allocateDirect(frameSize).order(ByteOrder.LITTLE_ENDIAN);
            cframe = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            outside = new OutsideFrames(frameSize);
            if (dataStacks) {
                chunks = new StackChunks(memory, chunkPiece);
            }
        }
    }
}
