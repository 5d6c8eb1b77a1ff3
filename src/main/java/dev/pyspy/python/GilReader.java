package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
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

    private final ProcessMemory memory;
    private final Mode mode;
    /** POINTER: where the holder is; GIL_STRUCT: where the pointer to the GIL struct is. */
    private final long address;
    private final int lockedOffset;
    private final int holderOffset;
    /** GIL_STRUCT: the struct's fields read together, from the lower of the two offsets. */
    private final int fieldsFrom;
    private final int fieldsLength;
    private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer fields = ByteBuffer.allocate(MAX_FIELDS).order(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_FIELDS = 64;
    /** GIL_STRUCT: the struct's address as last read, 0 before; batched reads speculate it is unchanged. */
    private long lastStruct;

    private GilReader(ProcessMemory memory, Mode mode, long address, int lockedOffset, int holderOffset) {
        this.memory = memory;
        this.mode = mode;
        this.address = address;
        this.lockedOffset = lockedOffset;
        this.holderOffset = holderOffset;
        this.fieldsFrom = Math.min(lockedOffset, holderOffset);
        this.fieldsLength = Math.max(lockedOffset + 4, holderOffset + 8) - fieldsFrom;
    }

    public static GilReader none(ProcessMemory memory) {
        return new GilReader(memory, Mode.NONE, 0, 0, 0);
    }

    static GilReader create(ProcessMemory memory, Layout layout, PythonVersion version, PythonBinary binary,
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
                lastStruct = buf.getLong(0);
                if (lastStruct == 0) {
                    return 0;
                }
                return structHolder(lastStruct);
            default:
                return 0;
        }
    }

    /**
     * Adds the reads {@link #holderFromBatch} needs to a caller's batch at index {@code k}; returns
     * the next free index. The GIL struct's fields are read where the struct was last seen, with
     * its pointer checked in the same batch.
     */
    int addReads(long[] addresses, ByteBuffer[] buffers, int[] lengths, int k) {
        if (mode == Mode.NONE) {
            return k;
        }
        addresses[k] = address;
        buffers[k] = buf;
        lengths[k] = 8;
        if (mode == Mode.POINTER || lastStruct == 0 || fieldsLength > MAX_FIELDS) {
            return k + 1;
        }
        addresses[k + 1] = lastStruct + fieldsFrom;
        buffers[k + 1] = fields;
        lengths[k + 1] = fieldsLength;
        return k + 2;
    }

    /** How many entries {@link #addReads} adds at most. */
    static int maxReads() {
        return 2;
    }

    /** The holder, from a batch that {@link #addReads} contributed to (reading again if the GIL struct moved). */
    long holderFromBatch() throws MemoryReadException {
        switch (mode) {
            case POINTER:
                return buf.getLong(0);
            case GIL_STRUCT:
                long struct = buf.getLong(0);
                if (struct == 0) {
                    lastStruct = 0;
                    return 0;
                }
                if (struct != lastStruct || fieldsLength > MAX_FIELDS) {
                    lastStruct = struct;
                    return structHolder(struct);
                }
                return holderFromFields();
            default:
                return 0;
        }
    }

    private long structHolder(long struct) throws MemoryReadException {
        if (fieldsLength > MAX_FIELDS) {
            memory.read(struct + lockedOffset, buf, 4);
            if (buf.getInt(0) == 0) {
                return 0;
            }
            memory.read(struct + holderOffset, buf, 8);
            return buf.getLong(0);
        }
        memory.read(struct + fieldsFrom, fields, fieldsLength);
        return holderFromFields();
    }

    private long holderFromFields() {
        return fields.getInt(lockedOffset - fieldsFrom) == 0 ? 0 : fields.getLong(holderOffset - fieldsFrom);
    }

    public boolean applies() {
        return mode != Mode.NONE;
    }
}
