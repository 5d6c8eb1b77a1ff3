package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.model.LocalVariable;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Arguments and local variables of one frame, for {@code dump --locals}. Values live in the frame's
 * {@code localsplus} array; their names in the code object ({@code co_varnames} before 3.11,
 * {@code co_localsplusnames} + kinds after). Not on the sampling path.
 */
public final class FrameLocals {
    private static final int CO_VARARGS = 0x4;
    private static final int CO_VARKEYWORDS = 0x8;
    private static final int CO_FAST_HIDDEN = 0x10;
    private static final int CO_FAST_LOCAL = 0x20;
    private static final int MAX_LOCALS = 4096;

    private final ProcessMemory memory;
    private final PyObjects objects;
    private final boolean interpreterFrames;
    private final int localsplus;
    private final int argcount;
    private final int kwonlyargcount;
    private final int flags;
    private final int names;
    private final int kinds;
    private final int nlocals;
    private final int tupleItems;
    private final int varSize;
    private final long tagMask;
    private final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    public FrameLocals(ProcessMemory memory, Layout layout, PyObjects objects) throws PyspyException {
        this.memory = memory;
        this.objects = objects;
        this.interpreterFrames = layout.has("_PyInterpreterFrame.localsplus");
        this.localsplus = interpreterFrames ? layout.offset("_PyInterpreterFrame.localsplus")
                : layout.offset("PyFrameObject.f_localsplus");
        this.argcount = layout.offset("PyCodeObject.co_argcount");
        this.kwonlyargcount = layout.offsetOr("PyCodeObject.co_kwonlyargcount", -1);
        this.flags = layout.offsetOr("PyCodeObject.co_flags", -1);
        this.names = interpreterFrames ? layout.offset("PyCodeObject.co_localsplusnames")
                : layout.offset("PyCodeObject.co_varnames");
        this.kinds = layout.offsetOr("PyCodeObject.co_localspluskinds", -1);
        this.nlocals = layout.offsetOr("PyCodeObject.co_nlocals", -1);
        this.tupleItems = layout.offset("PyTupleObject.ob_item");
        this.varSize = layout.offset("PyVarObject.ob_size");
        this.tagMask = ~layout.value("const.Py_TAG_BITS", 0);
    }

    /** Locals of the frame at {@code frameAddress} running the code object at {@code codeAddress}. */
    public List<LocalVariable> read(long frameAddress, long codeAddress, int maxReprLength) throws MemoryReadException {
        long namesTuple = pointer(codeAddress + names);
        int count = (int) Math.min(pointer(namesTuple + varSize), MAX_LOCALS);
        if (!interpreterFrames && nlocals >= 0) {
            count = Math.min(count, int32(codeAddress + nlocals));
        }
        int args = int32(codeAddress + argcount);
        if (kwonlyargcount >= 0) {
            args += int32(codeAddress + kwonlyargcount);
        }
        if (flags >= 0) {
            int f = int32(codeAddress + flags);
            args += ((f & CO_VARARGS) != 0 ? 1 : 0) + ((f & CO_VARKEYWORDS) != 0 ? 1 : 0);
        }
        byte[] kindBytes = kinds >= 0 ? objects.readBytes(pointer(codeAddress + kinds), count) : null;
        List<LocalVariable> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (kindBytes != null && i < kindBytes.length
                    && ((kindBytes[i] & CO_FAST_LOCAL) == 0 || (kindBytes[i] & CO_FAST_HIDDEN) != 0)) {
                continue; // cell and free variables live in cells, hidden ones are comprehension temporaries
            }
            long value = pointer(frameAddress + localsplus + 8L * i) & tagMask;
            if (value == 0) {
                continue; // not bound yet
            }
            String name = DisplayText.clean(objects.readString(pointer(namesTuple + tupleItems + 8L * i), DisplayText.MAX_CHARS + 1));
            String repr;
            try {
                repr = objects.repr(value, maxReprLength);
            } catch (MemoryReadException e) {
                repr = "?";
            }
            out.add(new LocalVariable(name, i < args, repr, value));
        }
        return out;
    }

    private long pointer(long address) throws MemoryReadException {
        memory.read(address, word, 8);
        return word.getLong(0);
    }

    private int int32(long address) throws MemoryReadException {
        memory.read(address, word, 4);
        return word.getInt(0);
    }
}
