package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.pyspy.python.ObjectReads.MISSING;
import static dev.pyspy.python.ObjectReads.checkLength;
import static dev.pyspy.python.ObjectReads.checkObject;

/**
 * Text objects: Python 3 {@code str} in every PEP 393 form (and not-yet-ready legacy strings), Python 2
 * {@code str} and {@code unicode}, and {@code bytes}.
 */
final class PyText {
    private static final int UNEQUAL = 0;
    private static final int EQUAL = 1;
    private static final int UNDECIDED = 2;

    /** Where a text object's characters are: {@code unit} bytes each, or UTF-8 bytes for Python 2 str. */
    record Text(long length, int unit, long data, boolean utf8Bytes) {
    }

    private final ObjectReads reads;
    private final PyTypes types;
    /** Python 2's text model: byte strings ({@code PyStringObject}) and Py_UNICODE unicode objects. */
    private final boolean python2;
    private final int obType;
    private final int obSize;
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
    private final int bytesSval;

    PyText(ObjectReads reads, PyTypes types) throws PyspyException {
        this.reads = reads;
        this.types = types;
        Layout layout = reads.layout();
        python2 = layout.has("PyStringObject.ob_sval");
        List<String> missing = new ArrayList<>();
        obType = reads.required("PyObject.ob_type", missing);
        obSize = reads.required("PyVarObject.ob_size", missing);
        if (python2) {
            stringSval = reads.required("PyStringObject.ob_sval", missing);
            unicode2Length = reads.required("PyUnicodeObject.length", missing);
            unicode2Str = reads.required("PyUnicodeObject.str", missing);
            unicodeSize = reads.required("const.Py_UNICODE_SIZE", missing);
            asciiLength = asciiState = sizeofAscii = sizeofCompact = unicodeData = MISSING;
            asciiWstr = compactWstrLength = MISSING;
            kindShift = compactShift = asciiShift = MISSING;
        } else {
            asciiLength = reads.required("PyASCIIObject.length", missing);
            asciiState = reads.required("PyASCIIObject.state", missing);
            sizeofAscii = reads.required("sizeof.PyASCIIObject", missing);
            sizeofCompact = reads.required("sizeof.PyCompactUnicodeObject", missing);
            unicodeData = reads.required("PyUnicodeObject.data", missing);
            // up to 3.11 only: not-yet-ready legacy strings keep wchar_t text in wstr
            asciiWstr = reads.optional("PyASCIIObject.wstr");
            compactWstrLength = reads.optional("PyCompactUnicodeObject.wstr_length");
            // where the state's bit fields sit differs by build (free-threaded 3.14+ moves `interned` out)
            kindShift = reads.required("const.UNICODE_STATE_KIND_SHIFT", missing);
            compactShift = reads.required("const.UNICODE_STATE_COMPACT_SHIFT", missing);
            asciiShift = reads.required("const.UNICODE_STATE_ASCII_SHIFT", missing);
            stringSval = unicode2Length = unicode2Str = MISSING;
            unicodeSize = 4;
        }
        reads.requireAll(missing);
        bytesSval = reads.optional("PyBytesObject.ob_sval");
    }

    boolean python2() {
        return python2;
    }

    /**
     * The first {@code maxChars} code points of a text object. Python 3 {@code str}: every PEP 393 form;
     * Python 2 {@code str}: its bytes (at most {@code maxChars}) decoded as UTF-8 with replacement;
     * Python 2 {@code unicode}: its Py_UNICODE buffer (UTF-16 or UCS-4).
     */
    String readString(long obj, int maxChars) throws MemoryReadException {
        Text t = text(obj);
        int n = (int) Math.min(t.length(), Math.max(0, Math.min(maxChars, PyObjects.MAX_STRING_CHARS)));
        if (t.utf8Bytes()) {
            return new String(reads.readRaw(t.data(), n), StandardCharsets.UTF_8);
        }
        int[] cps = codePoints(t, n);
        return new String(cps, 0, cps.length);
    }

    /** The first {@code maxLength} bytes of a {@code bytes} object (Python 2: {@code str}). */
    byte[] readBytes(long obj, int maxLength) throws MemoryReadException {
        checkObject(obj);
        PyTypes.Info t = types.of(obj);
        if (!t.has(PyTypes.TPFLAGS_BYTES_SUBCLASS)) {
            throw PyTypes.notA(python2 ? "str" : "bytes", obj, t);
        }
        long size = bytesSize(obj);
        int n = (int) Math.min(size, Math.max(0, Math.min(maxLength, PyObjects.MAX_STRING_CHARS)));
        return reads.readRaw(bytesData(obj), n);
    }

    /** The length of a {@code bytes} (Python 2: {@code str}) object. */
    long bytesSize(long obj) throws MemoryReadException {
        long size = reads.readLong(obj + obSize);
        checkLength(obj, size);
        return size;
    }

    /** Where a {@code bytes} (Python 2: {@code str}) object's bytes are. */
    long bytesData(long obj) throws MemoryReadException {
        return obj + (python2 ? stringSval : reads.need(bytesSval, "PyBytesObject.ob_sval"));
    }

    /** Where a text object's characters are and how they are stored. */
    Text text(long obj) throws MemoryReadException {
        checkObject(obj);
        if (python2) {
            PyTypes.Info t = types.of(obj);
            if (t.has(PyTypes.TPFLAGS_BYTES_SUBCLASS)) {
                return new Text(bytesSize(obj), 1, obj + stringSval, true);
            }
            if (t.has(PyTypes.TPFLAGS_UNICODE_SUBCLASS)) {
                long length = reads.readLong(obj + unicode2Length);
                checkLength(obj, length);
                long data = reads.readLong(obj + unicode2Str);
                if (unicodeSize != 2 && unicodeSize != 4) {
                    throw new MemoryReadException("unsupported Py_UNICODE_SIZE " + unicodeSize);
                }
                if (length > 0 && data == 0) {
                    throw new MemoryReadException(String.format("unicode at 0x%x has no buffer", obj));
                }
                return new Text(length, unicodeSize, data, false);
            }
            throw PyTypes.notA("str", obj, t);
        }
        ByteBuffer b = reads.read(obj, sizeofAscii);
        long type = b.getLong(obType);
        long length = b.getLong(asciiLength);
        int state = b.getInt(asciiState);
        checkObject(type);
        PyTypes.Info t = types.info(type);
        if (!t.has(PyTypes.TPFLAGS_UNICODE_SUBCLASS)) {
            throw PyTypes.notA("str", obj, t);
        }
        checkLength(obj, length);
        int kind = (state >>> kindShift) & 7;
        boolean compact = ((state >>> compactShift) & 1) != 0;
        boolean ascii = ((state >>> asciiShift) & 1) != 0;
        if (kind == 0 && asciiWstr != MISSING) {
            // PyUnicode_WCHAR_KIND: a legacy string not made ready yet, text only in wstr (wchar_t = 4 bytes)
            long wstr = reads.readLong(obj + asciiWstr);
            long wlen = reads.readLong(obj + compactWstrLength);
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
            data = reads.readLong(obj + unicodeData);
            if (data == 0 && length > 0) {
                throw new MemoryReadException(String.format("str at 0x%x has no data buffer", obj));
            }
        }
        return new Text(length, kind, data, false);
    }

    /** The first {@code n} characters of {@code t}, as code points (UTF-16 units for narrow Python 2 unicode). */
    int[] codePoints(Text t, int n) throws MemoryReadException {
        int unit = t.unit();
        byte[] raw = reads.readRaw(t.data(), Math.multiplyExact(n, unit));
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

    /** A string to compare text objects with, in the forms the comparison needs, made once per lookup. */
    record Key(String text, int[] codePoints, byte[] utf8) {
        static Key of(String s) {
            return new Key(s, s.codePoints().toArray(), s.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** True when {@code obj} is a text object equal to {@code key}; false for anything else that is not text. */
    boolean textEquals(long obj, Key key) throws MemoryReadException {
        if (obj == 0) {
            return false;
        }
        int[] sCodePoints = key.codePoints();
        byte[] sUtf8 = key.utf8();
        if (!python2 && sCodePoints.length == sUtf8.length) {
            int quick = compactAsciiEquals(obj, sUtf8);
            if (quick != UNDECIDED) {
                return quick == EQUAL;
            }
        }
        PyTypes.Info t = types.of(obj);
        if (!t.has(PyTypes.TPFLAGS_UNICODE_SUBCLASS) && !(python2 && t.has(PyTypes.TPFLAGS_BYTES_SUBCLASS))) {
            return false;
        }
        Text text = text(obj);
        if (text.utf8Bytes()) {
            if (text.length() != sUtf8.length) {
                return false;
            }
            return Arrays.equals(reads.readRaw(text.data(), sUtf8.length), sUtf8);
        }
        String s = key.text();
        if (text.unit() == 2 && python2) {
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

    /**
     * Compares a str with an ASCII key in one read of header and text together, for the usual
     * case (dict keys such as module and attribute names are compact ASCII): the lookups that scan
     * sys.modules then cost one read per key instead of three. UNDECIDED for any other kind of str,
     * or when the read (which may reach past a shorter object) fails.
     */
    private int compactAsciiEquals(long obj, byte[] ascii) throws MemoryReadException {
        ByteBuffer b;
        try {
            b = reads.read(obj, sizeofAscii + ascii.length);
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
        // the buffer is not needed past this point: reading the type may read into it
        if (!types.info(type).has(PyTypes.TPFLAGS_UNICODE_SUBCLASS)) {
            return UNEQUAL;
        }
        if (!compactAscii) {
            return UNDECIDED;
        }
        return same ? EQUAL : UNEQUAL;
    }
}
