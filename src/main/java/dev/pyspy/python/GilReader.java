package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Finds the thread state holding the GIL, and how often the GIL changed hands. Where the interpreter
 * records the holder moved over time: a global {@code _PyThreadState_Current} (2.7, 3.6), the
 * runtime's {@code ceval.gil} struct (3.7-3.11: {@code last_holder} while {@code locked}), the
 * struct the interpreter's {@code ceval.gil} points at (3.12+). The struct's {@code switch_number}
 * (3.7+) grows whenever a thread other than the last holder takes the GIL
 * ({@link GilSwitches}). Free-threaded builds have no GIL: nobody holds it.
 */
public final class GilReader {
    private enum Mode { NONE, POINTER, GIL_STRUCT, RUNTIME_STRUCT }

    private final ProcessMemory memory;
    private final Mode mode;
    /**
     * POINTER: where the holder is; GIL_STRUCT: where the pointer to the GIL struct is;
     * RUNTIME_STRUCT: where the struct is.
     */
    private final long address;
    private final int lockedOffset;
    private final int holderOffset;
    /** The struct's {@code switch_number}, -1 when the layout lacks it. */
    private final int switchOffset;
    /** The struct's fields read together, from the lowest of their offsets. */
    private final int fieldsFrom;
    private final int fieldsLength;
    private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer fields = ByteBuffer.allocate(MAX_FIELDS).order(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_FIELDS = 64;
    /** GIL_STRUCT: the struct's address as last read, 0 before; batched reads speculate it is unchanged. */
    private long lastStruct;
    /**
     * What the last batch read of the struct (its fields read first, see {@link #addReads}):
     * {@code switch_number} and {@code last_holder} (held or not), -1 when that read did not read them.
     */
    private long switches = -1;
    private long lastHolder = -1;

    private GilReader(ProcessMemory memory, Mode mode, long address, int lockedOffset, int holderOffset,
                      int switchOffset) {
        this.memory = memory;
        this.mode = mode;
        this.address = address;
        this.lockedOffset = lockedOffset;
        this.holderOffset = holderOffset;
        this.switchOffset = switchOffset;
        int from = Math.min(lockedOffset, holderOffset);
        int to = Math.max(lockedOffset + 4, holderOffset + 8);
        if (switchOffset >= 0) {
            from = Math.min(from, switchOffset);
            to = Math.max(to, switchOffset + 8);
        }
        this.fieldsFrom = from;
        this.fieldsLength = to - from;
    }

    public static GilReader none(ProcessMemory memory) {
        return new GilReader(memory, Mode.NONE, 0, 0, 0, -1);
    }

    private static GilReader struct(ProcessMemory memory, Layout layout, Mode mode, long address)
            throws PyspyException {
        return new GilReader(memory, mode, address, layout.offset("_gil_runtime_state.locked"),
                layout.offset("_gil_runtime_state.last_holder"),
                layout.offsetOr("_gil_runtime_state.switch_number", -1));
    }

    static GilReader create(ProcessMemory memory, Layout layout, PythonVersion version, PythonBinary binary,
                            long runtime, long interp) throws PyspyException {
        if (version.freeThreaded()) {
            return none(memory);
        }
        if (layout.has("PyInterpreterState.gil")) {
            return struct(memory, layout, Mode.GIL_STRUCT, interp + layout.offset("PyInterpreterState.gil"));
        }
        if (layout.has("_PyRuntimeState.gil") && runtime != 0) {
            return struct(memory, layout, Mode.RUNTIME_STRUCT, runtime + layout.offset("_PyRuntimeState.gil"));
        }
        long global = binary.symbolAddress("_PyThreadState_Current");
        return global == 0 ? none(memory) : new GilReader(memory, Mode.POINTER, global, 0, 0, -1);
    }

    /** Address of the thread state holding the GIL, 0 when nobody does (or it cannot be known). */
    public long holder() throws MemoryReadException {
        switches = -1;
        switch (mode) {
            case POINTER:
                memory.read(address, buf, 8);
                return buf.getLong(0);
            case RUNTIME_STRUCT:
                return structHolder(address);
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
     * its pointer checked in the same batch. Added first, they are read before anything else of the
     * batch ({@link GilSwitches} relies on it).
     */
    int addReads(long[] addresses, ByteBuffer[] buffers, int[] lengths, int k) {
        if (mode == Mode.NONE) {
            return k;
        }
        if (mode == Mode.RUNTIME_STRUCT) {
            if (fieldsLength > MAX_FIELDS) {
                return k;
            }
            addresses[k] = address + fieldsFrom;
            buffers[k] = fields;
            lengths[k] = fieldsLength;
            return k + 1;
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
        switches = -1;
        switch (mode) {
            case POINTER:
                return buf.getLong(0);
            case RUNTIME_STRUCT:
                return fieldsLength > MAX_FIELDS ? structHolder(address) : holderFromFields(true);
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
                return holderFromFields(true);
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
        return holderFromFields(false);
    }

    /** The holder from {@link #fields}; {@code first}: they were read before the rest of their batch. */
    private long holderFromFields(boolean first) {
        long last = fields.getLong(holderOffset - fieldsFrom);
        if (first && switchOffset >= 0) {
            switches = fields.getLong(switchOffset - fieldsFrom);
            lastHolder = last;
        }
        return fields.getInt(lockedOffset - fieldsFrom) == 0 ? 0 : last;
    }

    /**
     * The GIL's {@code switch_number} as the last {@link #holderFromBatch} read it, before the rest
     * of its batch; -1 when it did not (no such field, the struct moved, or no batch).
     */
    long switches() {
        return switches;
    }

    /** The GIL's {@code last_holder} (held now or not) read with {@link #switches}. */
    long lastHolder() {
        return lastHolder;
    }

    public boolean applies() {
        return mode != Mode.NONE;
    }
}
