package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.Memory;
import dev.pyspy.process.MemoryReadException;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads Python objects out of a target's memory: strings of every representation, bytes, ints,
 * dict lookups, instance attributes and Python-like reprs, for CPython 2.7 and 3.6 onwards.
 *
 * <p>Every read goes through {@link Memory}; nothing is written to or run in the target. Whatever
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

    /** Lengths and sizes above this belong to no real object. */
    static final long ABSURD_LENGTH = 1L << 32;
    /** Most dict entries or table slots one lookup or iteration scans. */
    static final long MAX_DICT_SCAN = 1L << 22;
    private static final long MAX_ADDRESS = 1L << 57;
    private static final int MAX_CACHED_TYPES = 4096;
    private static final int CHUNK = 128;
    private static final int MISSING = Integer.MIN_VALUE;
    /** Python picks a string's quote from all of it: a truncated repr still scans this many code points. */
    private static final int QUOTE_SCAN_CHARS = 4096;
    /** Bytes one repr may read beyond what it shows, to choose quotes right. */
    private static final int QUOTE_SCAN_BUDGET = 64 * 1024;

    // Type flags, the same bits in every version 2.7-3.14 (object.h).
    private static final long TPFLAGS_HEAPTYPE = 1L << 9;
    private static final long TPFLAGS_INT_SUBCLASS = 1L << 23;      // 2.7 only
    private static final long TPFLAGS_LONG_SUBCLASS = 1L << 24;
    private static final long TPFLAGS_LIST_SUBCLASS = 1L << 25;
    private static final long TPFLAGS_TUPLE_SUBCLASS = 1L << 26;
    private static final long TPFLAGS_BYTES_SUBCLASS = 1L << 27;    // STRING_SUBCLASS in 2.7
    private static final long TPFLAGS_UNICODE_SUBCLASS = 1L << 28;
    private static final long TPFLAGS_DICT_SUBCLASS = 1L << 29;

    /** Receives a dict's key and value addresses. */
    @FunctionalInterface
    public interface ItemVisitor {
        void visit(long key, long value) throws MemoryReadException;
    }

    /** Internal visitor: returns false to stop the iteration. */
    @FunctionalInterface
    private interface EntryVisitor {
        boolean visit(long key, long value) throws MemoryReadException;
    }

    private record TypeInfo(String name, long flags, long basicsize, long itemsize, long dictoffset) {
        boolean has(long bit) {
            return (flags & bit) != 0;
        }

        /** A static (non-heap) type called {@code n}: the interpreter's own, not a user class named alike. */
        boolean builtin(String n) {
            return (flags & TPFLAGS_HEAPTYPE) == 0 && name.equals(n);
        }
    }

    /** Where a text object's characters are: {@code unit} bytes each, or UTF-8 bytes for Python 2 str. */
    private record Text(long length, int unit, long data, boolean utf8Bytes) {
    }

    /** A dict keys object resolved: entries address and shape. */
    private record Keys(long entries, int entrySize, int keyOff, int valueOff, long nentries, boolean unicode) {
    }

    private final Memory memory;
    private final Layout layout;
    private final PythonVersion version;
    private final boolean py2;
    private final boolean v311;
    private final boolean v312;
    private final boolean v313;

    private final int obType;
    private final int obSize;
    private final int tpName;
    private final int tpFlags;
    private final int tpBasicsize;
    private final int tpItemsize;
    private final int tpDictoffset;
    private final int htCachedKeys;

    // 3.x str
    private final int asciiLength;
    private final int asciiState;
    private final int sizeofAscii;
    private final int sizeofCompact;
    private final int unicodeData;
    private final int asciiWstr;
    private final int compactWstrLength;
    private final int kindShift;
    private final int compactShift;
    private final int asciiShift;
    // 2.7 str / unicode
    private final int stringSval;
    private final int unicode2Length;
    private final int unicode2Str;
    private final int unicodeSize;
    // numbers, bytes, sequences
    private final int bytesSval;
    private final int intIval;
    private final int longDigit;
    private final int longTag;
    private final int longShift;
    private final int digitSize;
    private final int floatFval;
    private final int tupleItem;
    private final int listItem;
    // dicts
    private final int maUsed;
    private final int maKeys;
    private final int maValues;
    private final int maMask;
    private final int maTable;
    private final int oldEntrySize;
    private final int oldEntryKey;
    private final int oldEntryValue;
    private final int dkSize;
    private final int dkLog2Size;
    private final int dkLog2IndexBytes;
    private final int dkKind;
    private final int dkNentries;
    private final int dkIndices;
    private final int keyEntrySize;
    private final int keyEntryKey;
    private final int keyEntryValue;
    private final int uniEntrySize;
    private final int uniEntryKey;
    private final int uniEntryValue;
    private final int valuesValues;
    private final int valuesValid;
    private final int valuesCapacity;
    private final int valuesSize;
    // instance dicts
    private final long managedDictFlag;
    private final long inlineValuesFlag;
    private final int managedDictOffset;
    private final int managedValuesOffset;
    private final int instanceDict;

    private final ByteBuffer scratch = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<Long, TypeInfo> types = new HashMap<>();

    /**
     * Resolves every offset once. Fails when the layout lacks what even strings and type names need;
     * keys needed only by some operations are checked when used (that operation then fails with a
     * {@link MemoryReadException} naming the key).
     */
    public PyObjects(Memory memory, Layout layout, PythonVersion version) throws PyspyException {
        this.memory = memory;
        this.layout = layout;
        this.version = version;
        this.py2 = version.major() == 2;
        this.v311 = version.atLeast(3, 11);
        this.v312 = version.atLeast(3, 12);
        this.v313 = version.atLeast(3, 13);
        List<String> missing = new ArrayList<>();

        obType = required("PyObject.ob_type", missing);
        obSize = required("PyVarObject.ob_size", missing);
        tpName = required("PyTypeObject.tp_name", missing);
        tpFlags = required("PyTypeObject.tp_flags", missing);
        tpBasicsize = optional("PyTypeObject.tp_basicsize");
        tpItemsize = optional("PyTypeObject.tp_itemsize");
        tpDictoffset = optional("PyTypeObject.tp_dictoffset");
        htCachedKeys = optional("PyHeapTypeObject.ht_cached_keys");

        if (py2) {
            stringSval = required("PyStringObject.ob_sval", missing);
            unicode2Length = required("PyUnicodeObject.length", missing);
            unicode2Str = required("PyUnicodeObject.str", missing);
            unicodeSize = layout.offsetOr("const.Py_UNICODE_SIZE", 4);
            asciiLength = asciiState = sizeofAscii = sizeofCompact = unicodeData = MISSING;
            asciiWstr = compactWstrLength = MISSING;
            kindShift = compactShift = asciiShift = MISSING;
        } else {
            asciiLength = required("PyASCIIObject.length", missing);
            asciiState = required("PyASCIIObject.state", missing);
            sizeofAscii = required("sizeof.PyASCIIObject", missing);
            sizeofCompact = required("sizeof.PyCompactUnicodeObject", missing);
            unicodeData = required("PyUnicodeObject.data", missing);
            // 3.3-3.11 only: not-yet-ready legacy strings keep wchar_t text in wstr (after the 4-byte state)
            asciiWstr = v312 ? MISSING : layout.offsetOr("PyASCIIObject.wstr", asciiState + 8);
            compactWstrLength = v312 ? MISSING : layout.offsetOr("PyCompactUnicodeObject.wstr_length", sizeofAscii + 16);
            // where the state's bit fields sit differs by build (free-threaded 3.14+ moves `interned` out)
            kindShift = required("const.UNICODE_STATE_KIND_SHIFT", missing);
            compactShift = required("const.UNICODE_STATE_COMPACT_SHIFT", missing);
            asciiShift = required("const.UNICODE_STATE_ASCII_SHIFT", missing);
            stringSval = unicode2Length = unicode2Str = MISSING;
            unicodeSize = 4;
        }
        if (!missing.isEmpty()) {
            throw new PyspyException(ExitCode.UNSUPPORTED_VERSION,
                    layout + " lacks what reading objects needs: " + String.join(", ", missing));
        }

        bytesSval = optional("PyBytesObject.ob_sval");
        intIval = optional("PyIntObject.ob_ival");
        longDigit = optional("PyLongObject.ob_digit");
        longTag = v312 ? optional("PyLongObject.lv_tag") : MISSING;
        longShift = layout.offsetOr("const.PyLong_SHIFT", 30);
        digitSize = layout.offsetOr("sizeof.digit", longShift > 15 ? 4 : 2);
        floatFval = optional("PyFloatObject.ob_fval");
        tupleItem = optional("PyTupleObject.ob_item");
        listItem = optional("PyListObject.ob_item");

        maUsed = optional("PyDictObject.ma_used");
        maKeys = optional("PyDictObject.ma_keys");
        maValues = optional("PyDictObject.ma_values");
        maMask = optional("PyDictObject.ma_mask");
        maTable = optional("PyDictObject.ma_table");
        oldEntrySize = layout.offsetOr("sizeof.PyDictEntry", 24);
        oldEntryKey = layout.offsetOr("PyDictEntry.me_key", 8);
        oldEntryValue = layout.offsetOr("PyDictEntry.me_value", 16);
        dkSize = optional("PyDictKeysObject.dk_size");
        dkLog2Size = optional("PyDictKeysObject.dk_log2_size");
        dkLog2IndexBytes = optional("PyDictKeysObject.dk_log2_index_bytes");
        dkKind = optional("PyDictKeysObject.dk_kind");
        dkNentries = optional("PyDictKeysObject.dk_nentries");
        dkIndices = optional("PyDictKeysObject.dk_indices");
        keyEntrySize = layout.offsetOr("sizeof.PyDictKeyEntry", 24);
        keyEntryKey = layout.offsetOr("PyDictKeyEntry.me_key", 8);
        keyEntryValue = layout.offsetOr("PyDictKeyEntry.me_value", 16);
        uniEntrySize = layout.offsetOr("sizeof.PyDictUnicodeEntry", 16);
        uniEntryKey = layout.offsetOr("PyDictUnicodeEntry.me_key", 0);
        uniEntryValue = layout.offsetOr("PyDictUnicodeEntry.me_value", 8);
        // before 3.11 ma_values points at the values array itself (no PyDictValues struct)
        valuesValues = layout.offsetOr("PyDictValues.values", 0);
        valuesValid = optional("PyDictValues.valid");
        valuesCapacity = optional("PyDictValues.capacity");
        valuesSize = optional("PyDictValues.size");

        managedDictFlag = layout.value("const.Py_TPFLAGS_MANAGED_DICT", 1L << 4);
        inlineValuesFlag = layout.value("const.Py_TPFLAGS_INLINE_VALUES", 1L << 2);
        managedDictOffset = optional("const.MANAGED_DICT_OFFSET");
        managedValuesOffset = layout.offsetOr("const.MANAGED_VALUES_OFFSET", -32);
        // classobject.h (2.7): PyObject_HEAD, in_class, in_dict
        instanceDict = layout.offsetOr("PyInstanceObject.in_dict", 24);
    }

    private int required(String key, List<String> missing) {
        int v = layout.offsetOr(key, MISSING);
        if (v == MISSING) {
            missing.add(key);
        }
        return v;
    }

    private int optional(String key) {
        return layout.offsetOr(key, MISSING);
    }

    private int need(int offset, String key) throws MemoryReadException {
        if (offset == MISSING) {
            throw new MemoryReadException(layout + " does not describe " + key);
        }
        return offset;
    }

    public PythonVersion version() {
        return version;
    }

    // ------------------------------------------------------------------ types

    /** The object's type pointer ({@code ob_type}). */
    public long typeOf(long obj) throws MemoryReadException {
        checkObject(obj);
        long type = readLong(obj + obType);
        checkObject(type);
        return type;
    }

    /** The name of the object's type ({@code tp_name}, at most {@link #MAX_TYPE_NAME} bytes). */
    public String typeName(long obj) throws MemoryReadException {
        return typeInfo(typeOf(obj)).name();
    }

    /** The name of a type object ({@code tp_name}). */
    public String nameOfType(long type) throws MemoryReadException {
        return typeInfo(type).name();
    }

    private TypeInfo typeInfo(long type) throws MemoryReadException {
        TypeInfo t = types.get(type);
        if (t != null) {
            return t;
        }
        checkObject(type);
        int lo = Math.min(tpName, tpFlags);
        int hi = Math.max(tpName, tpFlags) + 8;
        for (int off : new int[] {tpBasicsize, tpItemsize, tpDictoffset}) {
            if (off != MISSING) {
                lo = Math.min(lo, off);
                hi = Math.max(hi, off + 8);
            }
        }
        ByteBuffer b = read(type + lo, hi - lo);
        long namePtr = b.getLong(tpName - lo);
        long flags = b.getLong(tpFlags - lo);
        long basicsize = tpBasicsize == MISSING ? -1 : b.getLong(tpBasicsize - lo);
        long itemsize = tpItemsize == MISSING ? -1 : b.getLong(tpItemsize - lo);
        long dictoffset = tpDictoffset == MISSING ? 0 : b.getLong(tpDictoffset - lo);
        if (tpBasicsize != MISSING && (basicsize < 8 || basicsize > (1 << 24))) {
            throw new MemoryReadException(String.format("type at 0x%x has implausible tp_basicsize %d", type, basicsize));
        }
        if (tpItemsize != MISSING && (itemsize < 0 || itemsize > (1 << 16))) {
            throw new MemoryReadException(String.format("type at 0x%x has implausible tp_itemsize %d", type, itemsize));
        }
        if (Math.abs(dictoffset) > (1 << 24)) {
            throw new MemoryReadException(String.format("type at 0x%x has implausible tp_dictoffset %d", type, dictoffset));
        }
        String name = readCString(namePtr, MAX_TYPE_NAME);
        if (name.isEmpty()) {
            throw new MemoryReadException(String.format("type at 0x%x has an empty name", type));
        }
        t = new TypeInfo(name, flags, basicsize, itemsize, dictoffset);
        if (types.size() >= MAX_CACHED_TYPES) {
            types.clear();
        }
        types.put(type, t);
        return t;
    }

    private static MemoryReadException notA(String what, long obj, TypeInfo t) {
        return new MemoryReadException(String.format("object at 0x%x is a %s, not a %s", obj, t.name(), what));
    }

    // ---------------------------------------------------------------- strings

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
        Text t = text(obj);
        int n = (int) Math.min(t.length(), Math.max(0, Math.min(maxChars, MAX_STRING_CHARS)));
        if (t.utf8Bytes()) {
            return new String(readRaw(t.data(), n), StandardCharsets.UTF_8);
        }
        int[] cps = codePoints(t, n);
        return new String(cps, 0, cps.length);
    }

    /** The first {@code maxLength} bytes of a {@code bytes} object (Python 2: {@code str}). */
    public byte[] readBytes(long obj, int maxLength) throws MemoryReadException {
        checkObject(obj);
        TypeInfo t = typeInfo(typeOf(obj));
        if (!t.has(TPFLAGS_BYTES_SUBCLASS)) {
            throw notA(py2 ? "str" : "bytes", obj, t);
        }
        long size = readLong(obj + obSize);
        checkLength(obj, size);
        int n = (int) Math.min(size, Math.max(0, Math.min(maxLength, MAX_STRING_CHARS)));
        return readRaw(obj + (py2 ? stringSval : need(bytesSval, "PyBytesObject.ob_sval")), n);
    }

    private Text text(long obj) throws MemoryReadException {
        checkObject(obj);
        if (py2) {
            TypeInfo t = typeInfo(typeOf(obj));
            if (t.has(TPFLAGS_BYTES_SUBCLASS)) {
                long size = readLong(obj + obSize);
                checkLength(obj, size);
                return new Text(size, 1, obj + stringSval, true);
            }
            if (t.has(TPFLAGS_UNICODE_SUBCLASS)) {
                long length = readLong(obj + unicode2Length);
                checkLength(obj, length);
                long data = readLong(obj + unicode2Str);
                if (unicodeSize != 2 && unicodeSize != 4) {
                    throw new MemoryReadException("unsupported Py_UNICODE_SIZE " + unicodeSize);
                }
                if (length > 0 && data == 0) {
                    throw new MemoryReadException(String.format("unicode at 0x%x has no buffer", obj));
                }
                return new Text(length, unicodeSize, data, false);
            }
            throw notA("str", obj, t);
        }
        ByteBuffer b = read(obj, sizeofAscii);
        long type = b.getLong(obType);
        long length = b.getLong(asciiLength);
        int state = b.getInt(asciiState);
        checkObject(type);
        TypeInfo t = typeInfo(type);
        if (!t.has(TPFLAGS_UNICODE_SUBCLASS)) {
            throw notA("str", obj, t);
        }
        checkLength(obj, length);
        int kind = (state >>> kindShift) & 7;
        boolean compact = ((state >>> compactShift) & 1) != 0;
        boolean ascii = ((state >>> asciiShift) & 1) != 0;
        if (kind == 0 && asciiWstr != MISSING) {
            // PyUnicode_WCHAR_KIND: a legacy string not made ready yet, text only in wstr (wchar_t = 4 bytes)
            long wstr = readLong(obj + asciiWstr);
            long wlen = readLong(obj + compactWstrLength);
            checkLength(obj, wlen);
            if (wlen > 0 && wstr == 0) {
                throw new MemoryReadException(String.format("str at 0x%x is not ready and has no wstr", obj));
            }
            return new Text(wlen, 4, wstr, false);
        }
        if (kind != 1 && kind != 2 && kind != 4) {
            throw new MemoryReadException(String.format("str at 0x%x has invalid kind %d", obj, kind));
        }
        if (ascii && kind != 1) {
            throw new MemoryReadException(String.format("str at 0x%x is ascii of kind %d", obj, kind));
        }
        long data;
        if (compact) {
            data = obj + (ascii ? sizeofAscii : sizeofCompact);
        } else {
            data = readLong(obj + unicodeData);
            if (data == 0 && length > 0) {
                throw new MemoryReadException(String.format("str at 0x%x has no data buffer", obj));
            }
        }
        return new Text(length, kind, data, false);
    }

    private int[] codePoints(Text t, int n) throws MemoryReadException {
        int unit = t.unit();
        byte[] raw = readRaw(t.data(), Math.multiplyExact(n, unit));
        int[] cps = new int[n];
        for (int i = 0; i < n; i++) {
            int cp;
            switch (unit) {
                case 1 -> cp = raw[i] & 0xff;
                case 2 -> cp = (raw[2 * i] & 0xff) | (raw[2 * i + 1] & 0xff) << 8;
                default -> {
                    int j = 4 * i;
                    cp = (raw[j] & 0xff) | (raw[j + 1] & 0xff) << 8 | (raw[j + 2] & 0xff) << 16 | (raw[j + 3] & 0xff) << 24;
                    if (cp < 0 || cp > Character.MAX_CODE_POINT) {
                        throw new MemoryReadException(String.format("invalid code point 0x%x in str at 0x%x", cp, t.data()));
                    }
                }
            }
            cps[i] = cp;
        }
        return cps;
    }

    /** True when {@code obj} is a text object equal to {@code s}; false for anything else that is not text. */
    private boolean textEquals(long obj, String s, int[] sCodePoints, byte[] sUtf8) throws MemoryReadException {
        if (obj == 0) {
            return false;
        }
        if (!py2 && sCodePoints.length == sUtf8.length) {
            int quick = compactAsciiEquals(obj, sUtf8);
            if (quick != UNDECIDED) {
                return quick == EQUAL;
            }
        }
        TypeInfo t = typeInfo(typeOf(obj));
        if (!t.has(TPFLAGS_UNICODE_SUBCLASS) && !(py2 && t.has(TPFLAGS_BYTES_SUBCLASS))) {
            return false;
        }
        Text text = text(obj);
        if (text.utf8Bytes()) {
            if (text.length() != sUtf8.length) {
                return false;
            }
            return Arrays.equals(readRaw(text.data(), sUtf8.length), sUtf8);
        }
        if (text.unit() == 2 && py2) {
            // narrow Python 2 build: UTF-16 code units
            if (text.length() != s.length()) {
                return false;
            }
            int[] units = codePoints(text, s.length());
            for (int i = 0; i < units.length; i++) {
                if (units[i] != s.charAt(i)) {
                    return false;
                }
            }
            return true;
        }
        if (text.length() != sCodePoints.length) {
            return false;
        }
        return Arrays.equals(codePoints(text, sCodePoints.length), sCodePoints);
    }

    private static final int UNEQUAL = 0;
    private static final int EQUAL = 1;
    private static final int UNDECIDED = 2;

    /**
     * Compares a str with an ASCII key in one read of header and text together, for the usual
     * case (dict keys such as module and attribute names are compact ASCII): the lookups that scan
     * sys.modules then cost one read per key instead of three. UNDECIDED for any other kind of str,
     * or when the read (which may reach past a shorter object) fails.
     */
    private int compactAsciiEquals(long obj, byte[] ascii) throws MemoryReadException {
        ByteBuffer b;
        try {
            b = read(obj, sizeofAscii + ascii.length);
        } catch (MemoryReadException e) {
            return UNDECIDED;
        }
        long type = b.getLong(obType);
        long length = b.getLong(asciiLength);
        int state = b.getInt(asciiState);
        boolean compactAscii = ((state >>> compactShift) & 1) != 0 && ((state >>> asciiShift) & 1) != 0;
        boolean same = length == ascii.length;
        for (int i = 0; same && i < ascii.length; i++) {
            same = b.get(sizeofAscii + i) == ascii[i];
        }
        // the buffer is not needed past this point: typeInfo may read into it
        if (!typeInfo(type).has(TPFLAGS_UNICODE_SUBCLASS)) {
            return UNEQUAL;
        }
        if (!compactAscii) {
            return UNDECIDED;
        }
        return same ? EQUAL : UNEQUAL;
    }

    // ------------------------------------------------------------------ numbers

    /**
     * An int (Python 2 int or long, bools included) as a Java long. Values from 2^63 to 2^64-1 (for
     * instance a thread ident, an unsigned long) keep their 64 bits; anything wider fails.
     */
    public long longValue(long obj) throws MemoryReadException {
        checkObject(obj);
        TypeInfo t = typeInfo(typeOf(obj));
        if (py2 && t.has(TPFLAGS_INT_SUBCLASS)) {
            return readLong(obj + need(intIval, "PyIntObject.ob_ival"));
        }
        if (!t.has(TPFLAGS_LONG_SUBCLASS)) {
            throw notA("int", obj, t);
        }
        BigInteger v = bigInteger(obj, 64 / longShift + 2);
        if (v == null || v.bitLength() > 64 || (v.signum() < 0 && v.bitLength() > 63)) {
            throw new MemoryReadException(String.format("int at 0x%x does not fit in 64 bits", obj));
        }
        return v.longValue();
    }

    /** A PyLongObject's value, or null when it has more than {@code maxDigits} digits. */
    private BigInteger bigInteger(long obj, int maxDigits) throws MemoryReadException {
        long ndigits;
        int sign;
        if (longTag != MISSING) {
            long tag = readLong(obj + longTag);
            int s = (int) (tag & 3);
            if (s == 3) {
                throw new MemoryReadException(String.format("int at 0x%x has an invalid sign in lv_tag 0x%x", obj, tag));
            }
            sign = 1 - s;
            ndigits = tag >>> 3;
        } else {
            long size = readLong(obj + obSize);
            sign = Long.signum(size);
            ndigits = size == Long.MIN_VALUE ? -1 : Math.abs(size);
        }
        if (ndigits < 0 || ndigits > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("int at 0x%x has an implausible size %d", obj, ndigits));
        }
        if ((sign == 0) != (ndigits == 0)) {
            throw new MemoryReadException(String.format("int at 0x%x: sign %d with %d digits", obj, sign, ndigits));
        }
        if (ndigits > maxDigits) {
            return null;
        }
        if (ndigits == 0) {
            return BigInteger.ZERO;
        }
        int n = (int) ndigits;
        byte[] raw = readRaw(obj + need(longDigit, "PyLongObject.ob_digit"), n * digitSize);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        BigInteger v = BigInteger.ZERO;
        for (int i = n - 1; i >= 0; i--) {
            long d = digitSize == 4 ? b.getInt(4 * i) & 0xffffffffL : b.getShort(2 * i) & 0xffffL;
            if ((d >>> longShift) != 0) {
                throw new MemoryReadException(String.format("int at 0x%x has digit 0x%x wider than %d bits", obj, d, longShift));
            }
            v = v.shiftLeft(longShift).or(BigInteger.valueOf(d));
        }
        return sign < 0 ? v.negate() : v;
    }

    // ------------------------------------------------------------------- dicts

    /** The value stored under the str key {@code key}, or 0 when there is none. */
    public long dictLookup(long dict, String key) throws MemoryReadException {
        int[] cps = key.codePoints().toArray();
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        long[] found = {0};
        forEachEntry(dict, Long.MAX_VALUE, (k, v) -> {
            if (textEquals(k, key, cps, utf8)) {
                found[0] = v;
                return false;
            }
            return true;
        });
        return found[0];
    }

    /**
     * Visits at most {@code max} (key, value) address pairs: in insertion order for 3.6+ dicts (split
     * tables included), in table order for 2.7 (the order Python 2 itself iterates in).
     */
    public void dictItems(long dict, int max, ItemVisitor v) throws MemoryReadException {
        forEachEntry(dict, Math.max(0, max), (k, val) -> {
            v.visit(k, val);
            return true;
        });
    }

    private void forEachEntry(long dict, long maxItems, EntryVisitor v) throws MemoryReadException {
        checkObject(dict);
        TypeInfo t = typeInfo(typeOf(dict));
        if (!t.has(TPFLAGS_DICT_SUBCLASS)) {
            throw notA("dict", dict, t);
        }
        if (maxItems <= 0) {
            return;
        }
        long used = readLong(dict + need(maUsed, "PyDictObject.ma_used"));
        if (used < 0 || used > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("dict at 0x%x has implausible ma_used %d", dict, used));
        }
        if (py2) {
            forEachOldEntry(dict, used, maxItems, v);
            return;
        }
        long keysAddr = readLong(dict + need(maKeys, "PyDictObject.ma_keys"));
        long values = readLong(dict + need(maValues, "PyDictObject.ma_values"));
        if (used == 0) {
            return;
        }
        Keys keys = keys(keysAddr);
        if (values == 0) {
            forEachCombined(keys, maxItems, v);
        } else {
            forEachSplit(keys, values, maxItems, v);
        }
    }

    /** Python 2.7: ma_mask + 1 slots of (hash, key, value); live slots have a value. */
    private void forEachOldEntry(long dict, long used, long maxItems, EntryVisitor v) throws MemoryReadException {
        long mask = readLong(dict + need(maMask, "PyDictObject.ma_mask"));
        long table = readLong(dict + need(maTable, "PyDictObject.ma_table"));
        if (mask < 0 || mask >= ABSURD_LENGTH || Long.bitCount(mask + 1) != 1 || used > mask + 1) {
            throw new MemoryReadException(String.format("dict at 0x%x has implausible ma_mask %d (ma_used %d)", dict, mask, used));
        }
        checkPointer(table, 8);
        scanEntries(table, mask + 1, oldEntrySize, oldEntryKey, oldEntryValue, Math.min(used, maxItems), v);
    }

    /**
     * Visits the live (key and value set) entries among {@code count} entries of {@code entrySize}
     * bytes from {@code start}, reading them in chunks, until {@code stopAfter} were visited.
     */
    private void scanEntries(long start, long count, int entrySize, int keyOff, int valueOff, long stopAfter,
                             EntryVisitor v) throws MemoryReadException {
        long seen = 0;
        for (long i = 0; i < count && seen < stopAfter; ) {
            if (i >= MAX_DICT_SCAN) {
                throw new MemoryReadException(String.format("dict at 0x%x has more than %d slots", start, MAX_DICT_SCAN));
            }
            int chunk = (int) Math.min(count - i, Math.min(CHUNK, Math.max(16, stopAfter - seen)));
            long[] kv = readEntries(start + i * entrySize, chunk, entrySize, keyOff, valueOff);
            for (int j = 0; j < chunk; j++) {
                long key = kv[2 * j];
                long value = kv[2 * j + 1];
                if (key != 0 && value != 0) {
                    seen++;
                    if (!v.visit(key, value) || seen >= stopAfter) {
                        return;
                    }
                }
            }
            i += chunk;
        }
    }

    private Keys keys(long addr) throws MemoryReadException {
        checkObject(addr);
        long size;
        long nentries;
        long entries;
        boolean unicode;
        int indices = need(dkIndices, "PyDictKeysObject.dk_indices");
        int nentriesOff = need(dkNentries, "PyDictKeysObject.dk_nentries");
        if (!v311) {
            size = readLong(addr + need(dkSize, "PyDictKeysObject.dk_size"));
            if (size <= 0 || size > ABSURD_LENGTH || Long.bitCount(size) != 1) {
                throw new MemoryReadException(String.format("dict keys at 0x%x have implausible dk_size %d", addr, size));
            }
            int ixSize = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffL ? 4 : 8;
            entries = addr + indices + size * ixSize;
            unicode = false;
        } else {
            int log2Size = readByte(addr + need(dkLog2Size, "PyDictKeysObject.dk_log2_size"));
            int log2IndexBytes = readByte(addr + need(dkLog2IndexBytes, "PyDictKeysObject.dk_log2_index_bytes"));
            int kind = readByte(addr + need(dkKind, "PyDictKeysObject.dk_kind"));
            if (log2Size > 32 || log2IndexBytes < log2Size || log2IndexBytes > log2Size + 3) {
                throw new MemoryReadException(String.format("dict keys at 0x%x have implausible sizes 2^%d, 2^%d bytes",
                        addr, log2Size, log2IndexBytes));
            }
            if (kind > 2) {
                throw new MemoryReadException(String.format("dict keys at 0x%x have invalid kind %d", addr, kind));
            }
            size = 1L << log2Size;
            entries = addr + indices + (1L << log2IndexBytes);
            unicode = kind != 0;   // DICT_KEYS_UNICODE, DICT_KEYS_SPLIT: PyDictUnicodeEntry
        }
        nentries = readLong(addr + nentriesOff);
        if (nentries < 0 || nentries > size) {
            throw new MemoryReadException(String.format("dict keys at 0x%x have %d entries for size %d", addr, nentries, size));
        }
        return unicode
                ? new Keys(entries, uniEntrySize, uniEntryKey, uniEntryValue, nentries, true)
                : new Keys(entries, keyEntrySize, keyEntryKey, keyEntryValue, nentries, false);
    }

    private void forEachCombined(Keys k, long maxItems, EntryVisitor v) throws MemoryReadException {
        scanEntries(k.entries(), k.nentries(), k.entrySize(), k.keyOff(), k.valueOff(), maxItems, v);
    }

    /** A split table: keys in the (shared) keys object, values in a separate array. */
    private void forEachSplit(Keys k, long values, long maxItems, EntryVisitor v) throws MemoryReadException {
        checkPointer(values, 8);
        if (!v311) {
            // 3.6-3.10: PyObject *values[] indexed like the entries, which are in insertion order
            long seen = 0;
            for (long i = 0; i < k.nentries(); ) {
                int chunk = (int) Math.min(k.nentries() - i, CHUNK);
                long[] kv = readEntries(k.entries() + i * k.entrySize(), chunk, k.entrySize(), k.keyOff(), k.valueOff());
                long[] vals = readPointers(values + i * 8, chunk);
                for (int j = 0; j < chunk; j++) {
                    long key = kv[2 * j];
                    if (key != 0 && vals[j] != 0) {
                        seen++;
                        if (!v.visit(key, vals[j]) || seen >= maxItems) {
                            return;
                        }
                    }
                }
                i += chunk;
            }
            return;
        }
        if (!k.unicode()) {
            throw new MemoryReadException("split dict values with non-unicode keys");
        }
        int[] order = insertionOrder(values, k.nentries());
        if (order.length == 0) {
            return;
        }
        int maxIndex = 0;
        for (int ix : order) {
            maxIndex = Math.max(maxIndex, ix);
        }
        long[] kv = readEntries(k.entries(), maxIndex + 1, k.entrySize(), k.keyOff(), k.valueOff());
        long[] vals = readPointers(values + valuesValues, maxIndex + 1);
        long seen = 0;
        for (int ix : order) {
            long key = kv[2 * ix];
            if (key != 0 && vals[ix] != 0) {
                seen++;
                if (!v.visit(key, vals[ix]) || seen >= maxItems) {
                    return;
                }
            }
        }
    }

    /**
     * 3.11+: the entry indices of a PyDictValues in insertion order. 3.11/3.12 keep them in bytes before
     * the values ([-1] prefix size, [-2] count, [-3-i] the i-th index); 3.13+ after values[capacity].
     */
    private int[] insertionOrder(long values, long nentries) throws MemoryReadException {
        int count;
        long orderAddr;
        boolean descending;
        if (v313) {
            int capacity = readByte(values + valuesCapacity);
            count = readByte(values + valuesSize);
            if (count > capacity) {
                throw new MemoryReadException(String.format("dict values at 0x%x: size %d over capacity %d", values, count, capacity));
            }
            orderAddr = values + valuesValues + 8L * capacity;
            descending = false;
        } else {
            ByteBuffer b = read(values - 2, 2);
            count = b.get(0) & 0xff;
            int prefix = b.get(1) & 0xff;
            if (count + 2 > prefix) {
                throw new MemoryReadException(String.format("dict values at 0x%x: %d indices in a %d-byte prefix", values, count, prefix));
            }
            orderAddr = values - 2 - count;
            descending = true;
        }
        if (count == 0) {
            return new int[0];
        }
        byte[] raw = readRaw(orderAddr, count);
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            int ix = (descending ? raw[count - 1 - i] : raw[i]) & 0xff;
            if (ix >= nentries) {
                throw new MemoryReadException(String.format("dict values at 0x%x: index %d beyond %d entries", values, ix, nentries));
            }
            order[i] = ix;
        }
        return order;
    }

    // -------------------------------------------------------------- attributes

    /**
     * The value of attribute {@code name} in an instance's {@code __dict__} (class attributes and
     * slots are not looked at), or 0 when absent.
     */
    public long attribute(long instance, String name) throws MemoryReadException {
        checkObject(instance);
        long type = typeOf(instance);
        TypeInfo t = typeInfo(type);
        long dict;
        if (py2 && t.builtin("instance")) {
            dict = readLong(instance + instanceDict);   // old-style class instance
        } else if (v311 && t.has(managedDictFlag)) {
            if (v313) {
                if (t.has(inlineValuesFlag)) {
                    if (t.basicsize() < 0) {
                        throw new MemoryReadException(layout + " does not describe PyTypeObject.tp_basicsize");
                    }
                    long values = instance + t.basicsize();
                    if (readByte(values + valuesValid) != 0) {
                        return lookupValues(type, values, name);
                    }
                }
                dict = readLong(instance + managedDictOffset);
            } else if (v312) {
                long dictOrValues = readLong(instance + managedDictOffset);
                if ((dictOrValues & 1) != 0) {
                    return lookupValues(type, dictOrValues + 1, name);
                }
                dict = dictOrValues;
            } else {
                long values = readLong(instance + managedValuesOffset);
                if (values != 0) {
                    return lookupValues(type, values, name);
                }
                dict = readLong(instance + managedDictOffset);
            }
        } else if (t.dictoffset() != 0) {
            long offset = t.dictoffset();
            if (offset < 0) {
                // var-sized object: the dict pointer follows the items
                if (t.itemsize() < 0 || t.basicsize() < 0) {
                    throw new MemoryReadException(layout + " does not describe PyTypeObject.tp_itemsize");
                }
                long n = readLong(instance + obSize);
                if (n == Long.MIN_VALUE || Math.abs(n) > ABSURD_LENGTH) {
                    throw new MemoryReadException(String.format("object at 0x%x has implausible ob_size %d", instance, n));
                }
                long size = (t.basicsize() + Math.abs(n) * t.itemsize() + 7) & ~7L;
                offset += size;
            }
            dict = readLong(instance + offset);
        } else {
            return 0;
        }
        return dict == 0 ? 0 : dictLookup(dict, name);
    }

    /** Looks {@code name} up in instance values laid out by the type's shared keys ({@code ht_cached_keys}). */
    private long lookupValues(long type, long values, String name) throws MemoryReadException {
        long keysAddr = readLong(type + need(htCachedKeys, "PyHeapTypeObject.ht_cached_keys"));
        if (keysAddr == 0) {
            throw new MemoryReadException(String.format("type at 0x%x has instance values but no shared keys", type));
        }
        Keys keys = keys(keysAddr);
        int[] cps = name.codePoints().toArray();
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        long[] found = {0};
        forEachSplit(keys, values, Long.MAX_VALUE, (k, v) -> {
            if (textEquals(k, name, cps, utf8)) {
                found[0] = v;
                return false;
            }
            return true;
        });
        return found[0];
    }

    // ------------------------------------------------------------------- reprs

    private static final class ReprState {
        final StringBuilder sb = new StringBuilder();
        final int limit;
        final Set<Long> active = new HashSet<>();
        int quoteScanBudget = QUOTE_SCAN_BUDGET;

        ReprState(int limit) {
            this.limit = limit;
        }

        boolean full() {
            return sb.length() > limit;
        }

        /** Characters still to produce before the output is known to need truncating. */
        int remaining() {
            return Math.max(0, limit - sb.length() + 1);
        }
    }

    /**
     * A Python-like repr of at most {@code maxLength} chars (longer ones end in "..."), reading only
     * what that needs. None, bools, ints, floats, str, bytes (and Python 2 unicode/long), tuples, lists
     * and dicts as Python shows them, nested up to {@link #MAX_REPR_DEPTH}; anything else as
     * {@code <TypeName at 0x...>}. The quote character of a string longer than the output is chosen
     * from its first {@value #QUOTE_SCAN_CHARS} characters (Python looks at all of it).
     */
    public String repr(long obj, int maxLength) throws MemoryReadException {
        if (maxLength <= 0) {
            return "";
        }
        ReprState r = new ReprState(maxLength);
        reprInto(obj, r, 0);
        return cap(r.sb.toString(), maxLength);
    }

    /** {@code s} itself when it fits in {@code max} chars, else its start and "..." in exactly {@code max} chars. */
    static String cap(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        if (max <= 3) {
            return "...".substring(0, Math.max(0, max));
        }
        int cut = max - 3;
        if (Character.isHighSurrogate(s.charAt(cut - 1))) {
            cut--;
        }
        return s.substring(0, cut) + "...";
    }

    private void reprInto(long obj, ReprState r, int depth) throws MemoryReadException {
        if (r.full()) {
            return;
        }
        StringBuilder sb = r.sb;
        if (obj == 0) {
            sb.append("<NULL>");
            return;
        }
        long type = typeOf(obj);
        TypeInfo t = typeInfo(type);
        if ((t.flags() & TPFLAGS_HEAPTYPE) == 0) {
            switch (t.name()) {
                case "NoneType" -> {
                    sb.append("None");
                    return;
                }
                case "bool" -> {
                    if (py2 && t.has(TPFLAGS_INT_SUBCLASS)) {
                        sb.append(readLong(obj + need(intIval, "PyIntObject.ob_ival")) != 0 ? "True" : "False");
                        return;
                    }
                    if (!py2 && t.has(TPFLAGS_LONG_SUBCLASS)) {
                        BigInteger v = bigInteger(obj, 4);
                        if (v != null) {
                            sb.append(v.signum() != 0 ? "True" : "False");
                            return;
                        }
                    }
                }
                case "int" -> {
                    if (py2 && t.has(TPFLAGS_INT_SUBCLASS)) {
                        sb.append(readLong(obj + need(intIval, "PyIntObject.ob_ival")));
                        return;
                    }
                    if (!py2 && t.has(TPFLAGS_LONG_SUBCLASS)) {
                        BigInteger v = bigInteger(obj, MAX_INT_DIGITS);
                        if (v != null) {
                            sb.append(v);
                            return;
                        }
                    }
                }
                case "long" -> {
                    if (py2 && t.has(TPFLAGS_LONG_SUBCLASS)) {
                        BigInteger v = bigInteger(obj, MAX_INT_DIGITS);
                        if (v != null) {
                            sb.append(v).append('L');
                            return;
                        }
                    }
                }
                case "float" -> {
                    sb.append(PyFloatFormat.repr(Double.longBitsToDouble(readLong(obj + need(floatFval, "PyFloatObject.ob_fval")))));
                    return;
                }
                case "str", "unicode", "bytes" -> {
                    if (reprText(obj, t, r)) {
                        return;
                    }
                }
                case "tuple" -> {
                    if (t.has(TPFLAGS_TUPLE_SUBCLASS)) {
                        reprSequence(obj, r, depth, true);
                        return;
                    }
                }
                case "list" -> {
                    if (t.has(TPFLAGS_LIST_SUBCLASS)) {
                        reprSequence(obj, r, depth, false);
                        return;
                    }
                }
                case "dict" -> {
                    if (t.has(TPFLAGS_DICT_SUBCLASS)) {
                        reprDict(obj, r, depth);
                        return;
                    }
                }
                default -> {
                }
            }
        }
        sb.append('<').append(t.name()).append(" at 0x").append(Long.toHexString(obj)).append('>');
    }

    private boolean reprText(long obj, TypeInfo t, ReprState r) throws MemoryReadException {
        String name = t.name();
        boolean bytesType = t.has(TPFLAGS_BYTES_SUBCLASS);
        boolean unicodeType = t.has(TPFLAGS_UNICODE_SUBCLASS);
        int want = Math.min(r.remaining() + 1, MAX_STRING_CHARS);
        if (py2 ? (name.equals("str") && bytesType) : (name.equals("bytes") && bytesType)) {
            long size = readLong(obj + obSize);
            checkLength(obj, size);
            long data = obj + (py2 ? stringSval : need(bytesSval, "PyBytesObject.ob_sval"));
            int n = quoteScanLength(size, want, 1, r);
            byte[] raw;
            try {
                raw = readRaw(data, n);
            } catch (MemoryReadException e) {
                if (n <= want) {
                    throw e;
                }
                raw = readRaw(data, want);   // the quote scan is best-effort: show what can be read
            }
            PyRepr.bytes(r.sb, py2 ? "" : "b", raw, raw.length, r.limit);
            return true;
        }
        if (py2 ? (name.equals("unicode") && unicodeType) : (name.equals("str") && unicodeType)) {
            Text text = text(obj);
            int n = quoteScanLength(text.length(), want, text.unit(), r);
            int[] cps;
            try {
                cps = codePoints(text, n);
            } catch (MemoryReadException e) {
                if (n <= want) {
                    throw e;
                }
                cps = codePoints(text, want);   // the quote scan is best-effort: show what can be read
            }
            if (py2) {
                PyRepr.unicode2(r.sb, cps, cps.length, r.limit);
            } else {
                PyRepr.str3(r.sb, cps, cps.length, r.limit);
            }
            return true;
        }
        return false;
    }

    /**
     * How many units of a string to read for its repr: the {@code want} that can show, plus (while the
     * repr's budget lasts) up to {@link #QUOTE_SCAN_CHARS} in all so the quote is chosen as Python does.
     */
    private static int quoteScanLength(long length, int want, int unit, ReprState r) {
        if (length <= want) {
            return (int) length;
        }
        long scan = Math.min(length, QUOTE_SCAN_CHARS);
        long extra = Math.min(Math.max(0, scan - want), r.quoteScanBudget / unit);
        r.quoteScanBudget -= (int) (extra * unit);
        return (int) (want + extra);
    }

    private void reprSequence(long obj, ReprState r, int depth, boolean tuple) throws MemoryReadException {
        StringBuilder sb = r.sb;
        long n = readLong(obj + obSize);
        if (n < 0 || n > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("%s at 0x%x has implausible size %d", tuple ? "tuple" : "list", obj, n));
        }
        char open = tuple ? '(' : '[';
        char close = tuple ? ')' : ']';
        if (n == 0) {
            sb.append(open).append(close);
            return;
        }
        if (depth >= MAX_REPR_DEPTH || r.active.contains(obj)) {
            sb.append(open).append("...").append(close);
            return;
        }
        long items = tuple ? obj + need(tupleItem, "PyTupleObject.ob_item")
                : readLong(obj + need(listItem, "PyListObject.ob_item"));
        checkPointer(items, 8);
        r.active.add(obj);
        try {
            sb.append(open);
            long i = 0;
            while (i < n && !r.full()) {
                // each item adds at least one char and a ", ": read no more than can still show
                int chunk = (int) Math.min(n - i, Math.min(CHUNK, r.remaining() / 3 + 2));
                long[] ptrs = readPointers(items + i * 8, chunk);
                for (int j = 0; j < chunk && !r.full(); j++, i++) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    reprInto(ptrs[j], r, depth + 1);
                }
            }
            if (!r.full()) {
                if (tuple && n == 1) {
                    sb.append(',');
                }
                sb.append(close);
            }
        } finally {
            r.active.remove(obj);
        }
    }

    private void reprDict(long obj, ReprState r, int depth) throws MemoryReadException {
        StringBuilder sb = r.sb;
        long used = readLong(obj + need(maUsed, "PyDictObject.ma_used"));
        if (used == 0) {
            sb.append("{}");
            return;
        }
        if (depth >= MAX_REPR_DEPTH || r.active.contains(obj)) {
            sb.append("{...}");
            return;
        }
        r.active.add(obj);
        try {
            sb.append('{');
            boolean[] first = {true};
            // each item is at least "k: v" plus ", ": no more than this many can still show
            long maxItems = r.remaining() / 4 + 2;
            forEachEntry(obj, maxItems, (k, v) -> {
                if (!first[0]) {
                    sb.append(", ");
                }
                first[0] = false;
                reprInto(k, r, depth + 1);
                if (r.full()) {
                    return false;
                }
                sb.append(": ");
                reprInto(v, r, depth + 1);
                return !r.full();
            });
            if (!r.full()) {
                sb.append('}');
            }
        } finally {
            r.active.remove(obj);
        }
    }

    // ------------------------------------------------------------------- reads

    private static void checkPointer(long addr, int len) throws MemoryReadException {
        if (addr < 4096 || addr > MAX_ADDRESS - len) {
            throw new MemoryReadException(addr, len, "not a user-space address");
        }
    }

    private static void checkObject(long obj) throws MemoryReadException {
        if (obj < 4096 || obj > MAX_ADDRESS || (obj & 7) != 0) {
            throw new MemoryReadException(String.format("0x%x is not an object address", obj));
        }
    }

    private static void checkLength(long obj, long length) throws MemoryReadException {
        if (length < 0 || length > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("object at 0x%x has implausible length %d", obj, length));
        }
    }

    /** Reads into the shared buffer: use the result before the next read. */
    private ByteBuffer read(long addr, int len) throws MemoryReadException {
        checkPointer(addr, len);
        ByteBuffer b = len <= scratch.capacity() ? scratch : ByteBuffer.allocateDirect(len);
        memory.read(addr, b, len);
        b.order(ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    private long readLong(long addr) throws MemoryReadException {
        return read(addr, 8).getLong(0);
    }

    private int readByte(long addr) throws MemoryReadException {
        return read(addr, 1).get(0) & 0xff;
    }

    private byte[] readRaw(long addr, int len) throws MemoryReadException {
        byte[] out = new byte[len];
        if (len == 0) {
            return out;
        }
        ByteBuffer b = read(addr, len);
        b.get(0, out, 0, len);
        return out;
    }

    private long[] readPointers(long addr, int count) throws MemoryReadException {
        long[] out = new long[count];
        if (count == 0) {
            return out;
        }
        ByteBuffer b = read(addr, count * 8);
        for (int i = 0; i < count; i++) {
            out[i] = b.getLong(8 * i);
        }
        return out;
    }

    /** {@code count} entries of {@code size} bytes: key and value pointers, interleaved. */
    private long[] readEntries(long addr, int count, int size, int keyOff, int valueOff) throws MemoryReadException {
        long[] out = new long[2 * count];
        if (count == 0) {
            return out;
        }
        ByteBuffer b = read(addr, count * size);
        for (int i = 0; i < count; i++) {
            out[2 * i] = b.getLong(i * size + keyOff);
            out[2 * i + 1] = b.getLong(i * size + valueOff);
        }
        return out;
    }

    /** A NUL-terminated string of at most {@code max} bytes, read without crossing into unread pages. */
    private String readCString(long addr, int max) throws MemoryReadException {
        checkPointer(addr, 1);
        byte[] out = new byte[max];
        int n = 0;
        long a = addr;
        while (n < max) {
            int chunk = (int) Math.min(max - n, 4096 - (a & 4095));
            ByteBuffer b = read(a, chunk);
            for (int i = 0; i < chunk; i++) {
                byte c = b.get(i);
                if (c == 0) {
                    return new String(out, 0, n, StandardCharsets.UTF_8);
                }
                out[n++] = c;
            }
            a += chunk;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "PyObjects[" + version + ", " + layout + "]";
    }
}
