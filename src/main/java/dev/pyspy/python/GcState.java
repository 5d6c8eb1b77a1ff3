package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Whether the main interpreter's cyclic garbage collector is collecting: its {@code collecting}
 * flag, in {@code _PyRuntime.gc} (3.7-3.8) or {@code interp->gc} (3.9+; 3.13+ from the target's debug
 * offsets where they have it), one small read. A collection runs in the thread holding the GIL, so
 * only builds with a GIL name the collecting thread; 2.7 and 3.6 keep the flag in a static variable of
 * gcmodule.c that no layout describes.
 */
public final class GcState {
    private final ProcessMemory memory;
    private final long flag;
    private final int size;
    private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    private GcState(ProcessMemory memory, long flag, int size) {
        this.memory = memory;
        this.flag = flag;
        this.size = size;
    }

    /**
     * The collector's state of {@code python}'s main interpreter, or null where pyspy cannot tell which
     * thread collects (no layout key for the flag; a free-threaded build, which has no GIL holder).
     */
    public static GcState of(PythonProcess python) {
        Layout layout = python.layout();
        if (!python.gil().applies() || !layout.has("_gc_runtime_state.collecting")) {
            return null;
        }
        long state;
        if (layout.has("PyInterpreterState.gc")) {
            state = python.interpreter() + layout.offsetOr("PyInterpreterState.gc", 0);
        } else if (layout.has("_PyRuntimeState.gc") && python.runtime() != 0) {
            state = python.runtime() + layout.offsetOr("_PyRuntimeState.gc", 0);
        } else {
            return null;
        }
        int size = layout.offsetOr("sizeof._gc_runtime_state_collecting", 4);
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            return null;
        }
        return new GcState(python.memory(), state + layout.offsetOr("_gc_runtime_state.collecting", 0), size);
    }

    /** Whether a collection is running now. */
    public boolean collecting() throws MemoryReadException {
        memory.read(flag, buf, size);
        long v = switch (size) {
            case 1 -> buf.get(0);
            case 2 -> buf.getShort(0);
            case 4 -> buf.getInt(0);
            default -> buf.getLong(0);
        };
        return v != 0;
    }
}
