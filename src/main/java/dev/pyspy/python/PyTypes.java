package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Objects' types: {@code ob_type}, and the type fields the other readers need, cached by type address. */
final class PyTypes {
    // Type flags, the same bits in every version 2.7-3.15 (object.h).
    static final long TPFLAGS_HEAPTYPE = 1L << 9;
    static final long TPFLAGS_INT_SUBCLASS = 1L << 23;      // 2.7 only
    static final long TPFLAGS_LONG_SUBCLASS = 1L << 24;
    static final long TPFLAGS_LIST_SUBCLASS = 1L << 25;
    static final long TPFLAGS_TUPLE_SUBCLASS = 1L << 26;
    static final long TPFLAGS_BYTES_SUBCLASS = 1L << 27;    // STRING_SUBCLASS in 2.7
    static final long TPFLAGS_UNICODE_SUBCLASS = 1L << 28;
    static final long TPFLAGS_DICT_SUBCLASS = 1L << 29;
    private static final int MAX_CACHED_TYPES = 4096;

    /** What is known of one type object. */
    record Info(String name, long flags, long basicsize, long itemsize, long dictoffset) {
        boolean has(long bit) {
            return (flags & bit) != 0;
        }

        /** A static (non-heap) type called {@code n}: the interpreter's own, not a user class named alike. */
        boolean builtin(String n) {
            return (flags & TPFLAGS_HEAPTYPE) == 0 && name.equals(n);
        }
    }

    private final ObjectReads reads;
    private final int obType;
    private final int tpName;
    private final int tpFlags;
    private final int tpBasicsize;
    private final int tpItemsize;
    private final int tpDictoffset;
    private final Map<Long, Info> types = new HashMap<>();

    PyTypes(ObjectReads reads) throws PyspyException {
        this.reads = reads;
        List<String> missing = new ArrayList<>();
        obType = reads.required("PyObject.ob_type", missing);
        tpName = reads.required("PyTypeObject.tp_name", missing);
        tpFlags = reads.required("PyTypeObject.tp_flags", missing);
        reads.requireAll(missing);
        tpBasicsize = reads.optional("PyTypeObject.tp_basicsize");
        tpItemsize = reads.optional("PyTypeObject.tp_itemsize");
        tpDictoffset = reads.optional("PyTypeObject.tp_dictoffset");
    }

    /** The object's type pointer ({@code ob_type}). */
    long typeOf(long obj) throws MemoryReadException {
        ObjectReads.checkObject(obj);
        long type = reads.readLong(obj + obType);
        ObjectReads.checkObject(type);
        return type;
    }

    /** The object's type. */
    Info of(long obj) throws MemoryReadException {
        return info(typeOf(obj));
    }

    /** The type object at {@code type}. */
    Info info(long type) throws MemoryReadException {
        Info t = types.get(type);
        if (t != null) {
            return t;
        }
        ObjectReads.checkObject(type);
        int lo = Math.min(tpName, tpFlags);
        int hi = Math.max(tpName, tpFlags) + 8;
        for (int off : new int[] {tpBasicsize, tpItemsize, tpDictoffset}) {
            if (off != ObjectReads.MISSING) {
                lo = Math.min(lo, off);
                hi = Math.max(hi, off + 8);
            }
        }
        ByteBuffer b = reads.read(type + lo, hi - lo);
        long namePtr = b.getLong(tpName - lo);
        long flags = b.getLong(tpFlags - lo);
        long basicsize = tpBasicsize == ObjectReads.MISSING ? -1 : b.getLong(tpBasicsize - lo);
        long itemsize = tpItemsize == ObjectReads.MISSING ? -1 : b.getLong(tpItemsize - lo);
        long dictoffset = tpDictoffset == ObjectReads.MISSING ? 0 : b.getLong(tpDictoffset - lo);
        if (tpBasicsize != ObjectReads.MISSING && (basicsize < 8 || basicsize > (1 << 24))) {
            throw new MemoryReadException(String.format("type at 0x%x has implausible tp_basicsize %d", type, basicsize));
        }
        if (tpItemsize != ObjectReads.MISSING && (itemsize < 0 || itemsize > (1 << 16))) {
            throw new MemoryReadException(String.format("type at 0x%x has implausible tp_itemsize %d", type, itemsize));
        }
        if (Math.abs(dictoffset) > (1 << 24)) {
            throw new MemoryReadException(String.format("type at 0x%x has implausible tp_dictoffset %d", type, dictoffset));
        }
        String name = reads.readCString(namePtr, PyObjects.MAX_TYPE_NAME);
        if (name.isEmpty()) {
            throw new MemoryReadException(String.format("type at 0x%x has an empty name", type));
        }
        t = new Info(name, flags, basicsize, itemsize, dictoffset);
        if (types.size() >= MAX_CACHED_TYPES) {
            types.clear();
        }
        types.put(type, t);
        return t;
    }

    static MemoryReadException notA(String what, long obj, Info t) {
        return new MemoryReadException(String.format("object at 0x%x is a %s, not a %s", obj, t.name(), what));
    }
}
