package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;

/**
 * Decodes one frame of a thread's chain, for one frame model: {@code PyFrameObject}s (up to 3.10) or
 * {@code _PyInterpreterFrame}s (3.11+). The {@link StackWalker} reads the frames and bounds the walk;
 * a decoder only says what a frame's bytes mean.
 */
interface FrameDecoder {

    /** The decoder for the frame model {@code layout} describes. */
    static FrameDecoder forLayout(Layout layout, ProcessMemory memory, CodeCache codes) throws PyspyException {
        return layout.has("_PyInterpreterFrame.previous")
                ? new InterpreterFrameDecoder(layout, memory, codes) : new FrameObjectDecoder(layout, codes);
    }

    /** Bytes of a frame that decoding reads, from its start. */
    int frameSize();

    /**
     * The frame fields (offsets and widths) a decode reads: all that a reused decode depends on inside a
     * data-stack chunk; null when the model has no data stacks.
     */
    int[] decodedFieldOffsets();

    int[] decodedFieldWidths();

    /**
     * Pushes the frame held at {@code base} in {@code b} (read from address {@code frame}) onto
     * {@code t}, if it holds Python code; returns the next (older) frame, 0 at the end of the chain.
     */
    long decode(RawThreadStack t, ByteBuffer b, int base, long frame, ThreadSlot slot) throws MemoryReadException;

    /** Called when a thread's chain has been followed to its end. */
    void endChain(RawThreadStack t);
}
