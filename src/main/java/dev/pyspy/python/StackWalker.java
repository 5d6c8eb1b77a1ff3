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
    private static final int MAX_THREADS = 100_000;
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
    private final ByteBuffer tsBuf;
    private final int tsSize;

    private final boolean interpreterFrames;
    private final int fPrevious;
    private final int fCode;
    private final int fInstr;
    private final int fOwner;
    private final int fIsEntry;
    private final int ownedByCStack;
    private final int codeAdaptive;
    private final long executableMask;
    private final ByteBuffer frameBuf;
    private final int frameSize;
    private final ByteBuffer wordBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

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
        int tsEnd = Math.max(Math.max(tsNext, tsThreadId), Math.max(tsNativeId, Math.max(tsFrame, tsCFrame))) + 8;
        tsSize = tsEnd;
        tsBuf = ByteBuffer.allocate(tsSize).order(ByteOrder.LITTLE_ENDIAN);

        if (interpreterFrames) {
            fPrevious = layout.offset("_PyInterpreterFrame.previous");
            fCode = layout.offset("_PyInterpreterFrame.executable");
            fInstr = layout.offset("_PyInterpreterFrame.instr");
            // 3.11 frames have an owner too, but no C-stack shim frames to skip
            fOwner = layout.has("const.FRAME_OWNED_BY_CSTACK") ? layout.offset("_PyInterpreterFrame.owner") : -1;
            fIsEntry = layout.offsetOr("_PyInterpreterFrame.is_entry", -1);
            ownedByCStack = (int) layout.value("const.FRAME_OWNED_BY_CSTACK", -1);
            codeAdaptive = layout.offset("PyCodeObject.co_code_adaptive");
            executableMask = ~layout.value("const.Py_TAG_BITS", 0);
            frameSize = Math.max(Math.max(fPrevious, fCode), Math.max(fInstr, Math.max(fOwner, fIsEntry))) + 8;
        } else {
            fPrevious = layout.offset("PyFrameObject.f_back");
            fCode = layout.offset("PyFrameObject.f_code");
            fInstr = layout.offset("PyFrameObject.f_lasti");
            fOwner = -1;
            fIsEntry = -1;
            ownedByCStack = -1;
            codeAdaptive = 0;
            executableMask = -1L;
            frameSize = Math.max(fPrevious, Math.max(fCode, fInstr)) + 8;
        }
        frameBuf = ByteBuffer.allocate(frameSize).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads every thread's stack into {@code out} (its previous contents are replaced). */
    public void walk(StackSnapshot out) throws MemoryReadException {
        out.reset();
        long holder = gil.holder();
        int interpreters = 0;
        for (long interp = firstInterpreter; interp != 0; interp = readPointer(interp + interpNext)) {
            if (++interpreters > MAX_INTERPRETERS) {
                throw new MemoryReadException("interpreter list does not end (corrupt or changing)");
            }
            int threads = 0;
            for (long ts = readPointer(interp + interpThreads); ts != 0; ) {
                if (++threads > MAX_THREADS) {
                    throw new MemoryReadException("thread list does not end (corrupt or changing)");
                }
                memory.read(ts, tsBuf, tsSize);
                ThreadSample t = out.next();
                t.threadState = ts;
                t.threadId = tsBuf.getLong(tsThreadId);
                t.nativeThreadId = tsNativeId >= 0 ? tsBuf.getLong(tsNativeId) : 0;
                t.ownsGil = holder != 0 && holder == ts;
                long next = tsBuf.getLong(tsNext);
                long frame = tsCFrame >= 0 ? cframeCurrent(tsBuf.getLong(tsCFrame)) : tsBuf.getLong(tsFrame);
                if (interpreterFrames) {
                    walkInterpreterFrames(frame, t);
                } else {
                    walkFrameObjects(frame, t);
                }
                ts = next;
            }
        }
    }

    private long cframeCurrent(long cframe) throws MemoryReadException {
        return cframe == 0 ? 0 : readPointer(cframe + cfCurrentFrame);
    }

    private void walkFrameObjects(long frame, ThreadSample t) throws MemoryReadException {
        while (frame != 0) {
            if (t.depth >= MAX_DEPTH) {
                t.truncated = true;
                return;
            }
            memory.read(frame, frameBuf, frameSize);
            CodeInfo code = codes.get(frameBuf.getLong(fCode));
            if (code == null) {
                throw new MemoryReadException(String.format("frame 0x%x does not point at a code object", frame));
            }
            int lasti = frameBuf.getInt(fInstr);
            t.push(code, code.lineAt(lasti), frame, true);
            frame = frameBuf.getLong(fPrevious);
        }
    }

    private void walkInterpreterFrames(long frame, ThreadSample t) throws MemoryReadException {
        int steps = 0;
        while (frame != 0) {
            if (++steps > MAX_DEPTH * 2) {
                t.truncated = true;
                return;
            }
            memory.read(frame, frameBuf, frameSize);
            long previous = frameBuf.getLong(fPrevious);
            if (fOwner >= 0 && frameBuf.get(fOwner) == ownedByCStack) {
                // A shim frame owned by the C stack: not Python code, but it means the frame
                // above it was entered from C.
                t.markLastAsEntry();
                frame = previous;
                continue;
            }
            long executable = frameBuf.getLong(fCode) & executableMask;
            CodeInfo code = executable == 0 ? null : codes.get(executable);
            if (code != null) {
                if (t.depth >= MAX_DEPTH) {
                    t.truncated = true;
                    return;
                }
                long instr = frameBuf.getLong(fInstr);
                long index = (instr - (executable + codeAdaptive)) / 2;
                int line = index < 0 || index > Integer.MAX_VALUE ? code.firstLine() : code.lineAt((int) index);
                boolean entry = fIsEntry >= 0 && frameBuf.get(fIsEntry) != 0;
                t.push(code, line, frame, entry);
            }
            frame = previous;
        }
        if (fIsEntry < 0) {
            t.markLastAsEntry(); // the outermost frame was entered from C (the interpreter's main loop)
        }
    }

    private long readPointer(long address) throws MemoryReadException {
        memory.read(address, wordBuf, 8);
        return wordBuf.getLong(0);
    }
}
