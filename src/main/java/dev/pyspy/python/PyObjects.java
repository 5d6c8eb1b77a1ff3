package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

/**
 * Reads Python objects out of a target's memory: strings of every representation, bytes, ints,
 * dict lookups, instance attributes and Python-like reprs, for CPython 2.7 and 3.6 onwards. Each
 * concern has its reader ({@link PyTypes}, {@link PyText}, {@link PyInts}, {@link PyDicts},
 * {@link ReprWriter}), which resolves its offsets from the layout once; this is their one entry point.
 *
 * <p>Every read goes through {@link ProcessMemory}; nothing is written to or run in the target. Whatever
 * looks inconsistent (a null or misaligned pointer, a length no real object has, an unknown string
 * kind, a digit out of range) fails with {@link MemoryReadException}: garbage never turns into a
 * nonsense value, a huge allocation or unbounded work.
 *
 * <p>Not thread-safe: one instance per sampling thread (it keeps a read buffer and a type cache).
 */
public final class PyObjects {

    /** Longest text {@link #readString(long)} returns, in code points (bytes for Python 2 {@code str}). */
    public static final int MAX_STRING_CHARS = 1 << 20;
    /** Longest type name returned, in bytes of its C string. */
    public static final int MAX_TYPE_NAME = 200;
    /** Containers nested deeper than this are shown as {@code [...]}, {@code (...)} or {@code {...}}. */
    public static final int MAX_REPR_DEPTH = 6;
    /** Ints with more internal digits than this (about 36,000 decimal digits) have no numeric repr. */
    public static final int MAX_INT_DIGITS = 4096;

    /** Receives a dict's key and value addresses. */
    @FunctionalInterface
    public interface ItemVisitor {
        void visit(long key, long value) throws MemoryReadException;
    }

    private final Layout layout;
    private final PythonVersion version;
    private final PyTypes types;
    private final PyText text;
    private final PyInts ints;
    private final PyDicts dicts;
    private final ReprWriter reprs;

    /**
     * Resolves every offset once. Fails when the layout lacks what even strings and type names need;
     * keys needed only by some operations are checked when used (that operation then fails with a
     * {@link MemoryReadException} naming the key).
     */
    public PyObjects(ProcessMemory memory, Layout layout, PythonVersion version) throws PyspyException {
        this.layout = layout;
        this.version = version;
        ObjectReads reads = new ObjectReads(memory, layout);
        types = new PyTypes(reads);
        text = new PyText(reads, types);
        ints = new PyInts(reads, types);
        dicts = new PyDicts(reads, types, text);
        reprs = new ReprWriter(reads, types, text, ints, dicts);
    }

    public PythonVersion version() {
        return version;
    }

    /** The object's type pointer ({@code ob_type}). */
    public long typeOf(long obj) throws MemoryReadException {
        return types.typeOf(obj);
    }

    /** The name of the object's type ({@code tp_name}, at most {@link #MAX_TYPE_NAME} bytes). */
    public String typeName(long obj) throws MemoryReadException {
        return types.of(obj).name();
    }

    /** The name of a type object ({@code tp_name}). */
    public String nameOfType(long type) throws MemoryReadException {
        return types.info(type).name();
    }

    /** A {@code str} (or Python 2 {@code str}/{@code unicode}), at most {@link #MAX_STRING_CHARS} long. */
    public String readString(long obj) throws MemoryReadException {
        return readString(obj, MAX_STRING_CHARS);
    }

    /**
     * The first {@code maxChars} code points of a text object. Python 3 {@code str}: every PEP 393 form;
     * Python 2 {@code str}: its bytes (at most {@code maxChars}) decoded as UTF-8 with replacement;
     * Python 2 {@code unicode}: its Py_UNICODE buffer (UTF-16 or UCS-4).
     */
    public String readString(long obj, int maxChars) throws MemoryReadException {
        return text.readString(obj, maxChars);
    }

    /** The first {@code maxLength} bytes of a {@code bytes} object (Python 2: {@code str}). */
    public byte[] readBytes(long obj, int maxLength) throws MemoryReadException {
        return text.readBytes(obj, maxLength);
    }

    /**
     * An int (Python 2 int or long, bools included) as a Java long. Values from 2^63 to 2^64-1 (for
     * instance a thread ident, an unsigned long) keep their 64 bits; anything wider fails.
     */
    public long longValue(long obj) throws MemoryReadException {
        return ints.longValue(obj);
    }

    /** The value stored under the str key {@code key}, or 0 when there is none. */
    public long dictLookup(long dict, String key) throws MemoryReadException {
        return dicts.lookup(dict, key);
    }

    /**
     * Visits at most {@code max} (key, value) address pairs: in insertion order for 3.6+ dicts (split
     * tables included), in table order for 2.7 (the order Python 2 itself iterates in).
     */
    public void dictItems(long dict, int max, ItemVisitor v) throws MemoryReadException {
        dicts.forEachEntry(dict, Math.max(0, max), (k, val) -> {
            v.visit(k, val);
            return true;
        });
    }

    /**
     * The value of attribute {@code name} in an instance's {@code __dict__} (class attributes and
     * slots are not looked at), or 0 when absent.
     */
    public long attribute(long instance, String name) throws MemoryReadException {
        return dicts.attribute(instance, name);
    }

    /**
     * A Python-like repr of at most {@code maxLength} chars (longer ones end in "..."), reading only
     * what that needs. None, bools, ints, floats, str, bytes (and Python 2 unicode/long), tuples, lists
     * and dicts as Python shows them, nested up to {@link #MAX_REPR_DEPTH}; numpy's bool, integer and
     * float16/32/64 scalars by value ({@code true}, {@code 42}, {@code 0.5}); anything else as
     * {@code <TypeName at 0x...>}. The quote character of a string longer than the output is chosen
     * from its first {@value ReprWriter#QUOTE_SCAN_CHARS} characters (Python looks at all of it).
     */
    public String repr(long obj, int maxLength) throws MemoryReadException {
        return reprs.repr(obj, maxLength);
    }

    /** {@code s} itself when it fits in {@code max} chars, else its start and "..." in exactly {@code max} chars. */
    static String cap(String s, int max) {
        return ReprWriter.cap(s, max);
    }

    @Override
    public String toString() {
        return "PyObjects[" + version + ", " + layout + "]";
    }
}
