package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;

/** Frames as {@code PyFrameObject}s on the heap (2.7 to 3.10), each entered from C as far as pyspy can tell. */
final class FrameObjectDecoder implements FrameDecoder {
    private final CodeCache codes;
    private final int back;
    private final int code;
    private final int lasti;
    private final int frameSize;

    FrameObjectDecoder(Layout layout, CodeCache codes) throws PyspyException {
        this.codes = codes;
        back = layout.offset("PyFrameObject.f_back");
        code = layout.offset("PyFrameObject.f_code");
        lasti = layout.offset("PyFrameObject.f_lasti");
        frameSize = Math.max(back, Math.max(code, lasti)) + 8;
    }

    @Override
    public int frameSize() {
        return frameSize;
    }

    @Override
    public int[] decodedFieldOffsets() {
        return null; // no data-stack chunks before 3.11
    }

    @Override
    public int[] decodedFieldWidths() {
        return null;
    }

    @Override
    public long decode(RawThreadStack t, ByteBuffer b, int base, long frame, ThreadSlot slot) throws MemoryReadException {
        CodeInfo info = codes.get(b.getLong(base + code));
        if (info == null) {
            throw new MemoryReadException(String.format("frame 0x%x does not point at a code object", frame));
        }
        int instruction = b.getInt(base + lasti);
        t.push(info, info.lineAt(instruction), frame, true, instruction, 0);
        return b.getLong(base + back);
    }

    @Override
    public void endChain(RawThreadStack t) {
        // every frame object was pushed as an entry already
    }
}
