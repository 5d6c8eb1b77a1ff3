package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.Memory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Finds the thread state holding the GIL. Where the interpreter records it moved over time:
 * a global {@code _PyThreadState_Current} (2.7, 3.6), {@code _PyRuntime.gilstate.tstate_current}
 * (3.7-3.11), the interpreter's {@code ceval.gil->last_holder} while {@code locked} (3.12+).
 * Free-threaded builds have no GIL: nobody holds it.
 */
public final class GilReader {
    private enum Mode { NONE, POINTER, GIL_STRUCT }

    private final Memory memory;
    private final Mode mode;
    private final long address;
    private final int lockedOffset;
    private final int holderOffset;
    private final ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);

    private GilReader(Memory memory, Mode mode, long address, int lockedOffset, int holderOffset) {
        this.memory = memory;
        this.mode = mode;
        this.address = address;
        this.lockedOffset = lockedOffset;
        this.holderOffset = holderOffset;
    }

    public static GilReader none(Memory memory) {
        return new GilReader(memory, Mode.NONE, 0, 0, 0);
    }

    static GilReader create(Memory memory, Layout layout, PythonVersion version, PythonBinary binary,
                            long runtime, long interp) throws PyspyException {
        if (version.freeThreaded()) {
            return none(memory);
        }
        if (layout.has("PyInterpreterState.gil")) {
            long gilPointer = interp + layout.offset("PyInterpreterState.gil");
            return new GilReader(memory, Mode.GIL_STRUCT, gilPointer,
                    layout.offset("_gil_runtime_state.locked"), layout.offset("_gil_runtime_state.last_holder"));
        }
        if (layout.has("_PyRuntimeState.tstate_current") && runtime != 0) {
            return new GilReader(memory, Mode.POINTER, runtime + layout.offset("_PyRuntimeState.tstate_current"), 0, 0);
        }
        long global = binary.symbolAddress("_PyThreadState_Current");
        return global == 0 ? none(memory) : new GilReader(memory, Mode.POINTER, global, 0, 0);
    }

    /** Address of the thread state holding the GIL, 0 when nobody does (or it cannot be known). */
    public long holder() throws MemoryReadException {
        switch (mode) {
            case POINTER:
                memory.read(address, buf, 8);
                return buf.getLong(0);
            case GIL_STRUCT:
                memory.read(address, buf, 8);
                long gil = buf.getLong(0);
                if (gil == 0) {
                    return 0;
                }
                memory.read(gil + lockedOffset, buf, 4);
                if (buf.getInt(0) == 0) {
                    return 0;
                }
                memory.read(gil + holderOffset, buf, 8);
                return buf.getLong(0);
            default:
                return 0;
        }
    }

    public boolean applies() {
        return mode != Mode.NONE;
    }
}
