package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;

import static dev.pyspy.python.ObjectReads.ABSURD_LENGTH;
import static dev.pyspy.python.ObjectReads.CHUNK;
import static dev.pyspy.python.ObjectReads.checkPointer;

/**
 * Python-like reprs of objects in the target, reading only what the shown length needs: None, bools,
 * ints, floats, text, tuples, lists and dicts as Python shows them, numpy's scalars by value
 * ({@link NumpyScalars}), anything else as {@code <TypeName at 0x...>}.
 */
final class ReprWriter {
    /** Python picks a string's quote from all of it: a truncated repr still scans this many code points. */
    static final int QUOTE_SCAN_CHARS = 4096;
    /** Bytes one repr may read beyond what it shows, to choose quotes right. */
    private static final int QUOTE_SCAN_BUDGET = 64 * 1024;

    private final ObjectReads reads;
    private final PyTypes types;
    private final PyText text;
    private final PyInts ints;
    private final PyDicts dicts;
    private final boolean python2;
    private final int obSize;
    private final int floatFval;
    private final int tupleItem;
    private final int listItem;
    private final int objectHeader;

    /** One repr in the making: its text, its limit, the containers being shown (for cycles). */
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

    ReprWriter(ObjectReads reads, PyTypes types, PyText text, PyInts ints, PyDicts dicts) {
        this.reads = reads;
        this.types = types;
        this.text = text;
        this.ints = ints;
        this.dicts = dicts;
        python2 = text.python2();
        obSize = reads.optional("PyVarObject.ob_size");
        floatFval = reads.optional("PyFloatObject.ob_fval");
        tupleItem = reads.optional("PyTupleObject.ob_item");
        listItem = reads.optional("PyListObject.ob_item");
        objectHeader = reads.optional("sizeof.PyObject");
    }

    /** See {@link PyObjects#repr}. */
    String repr(long obj, int maxLength) throws MemoryReadException {
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
        PyTypes.Info t = types.of(obj);
        if ((t.flags() & PyTypes.TPFLAGS_HEAPTYPE) == 0) {
            switch (t.name()) {
                case "NoneType" -> {
                    sb.append("None");
                    return;
                }
                case "bool" -> {
                    if (ints.isPython2Int(t)) {
                        sb.append(ints.python2IntValue(obj) != 0 ? "True" : "False");
                        return;
                    }
                    if (!python2 && t.has(PyTypes.TPFLAGS_LONG_SUBCLASS)) {
                        BigInteger v = ints.bigInteger(obj, 4);
                        if (v != null) {
                            sb.append(v.signum() != 0 ? "True" : "False");
                            return;
                        }
                    }
                }
                case "int" -> {
                    if (ints.isPython2Int(t)) {
                        sb.append(ints.python2IntValue(obj));
                        return;
                    }
                    if (!python2 && t.has(PyTypes.TPFLAGS_LONG_SUBCLASS)) {
                        BigInteger v = ints.bigInteger(obj, PyObjects.MAX_INT_DIGITS);
                        if (v != null) {
                            sb.append(v);
                            return;
                        }
                    }
                }
                case "long" -> {
                    if (python2 && t.has(PyTypes.TPFLAGS_LONG_SUBCLASS)) {
                        BigInteger v = ints.bigInteger(obj, PyObjects.MAX_INT_DIGITS);
                        if (v != null) {
                            sb.append(v).append('L');
                            return;
                        }
                    }
                }
                case "float" -> {
                    long bits = reads.readLong(obj + reads.need(floatFval, "PyFloatObject.ob_fval"));
                    sb.append(PyFloatFormat.repr(Double.longBitsToDouble(bits)));
                    return;
                }
                case "str", "unicode", "bytes" -> {
                    if (reprText(obj, t, r)) {
                        return;
                    }
                }
                case "tuple" -> {
                    if (t.has(PyTypes.TPFLAGS_TUPLE_SUBCLASS)) {
                        reprSequence(obj, r, depth, true);
                        return;
                    }
                }
                case "list" -> {
                    if (t.has(PyTypes.TPFLAGS_LIST_SUBCLASS)) {
                        reprSequence(obj, r, depth, false);
                        return;
                    }
                }
                case "dict" -> {
                    if (t.has(PyTypes.TPFLAGS_DICT_SUBCLASS)) {
                        reprDict(obj, r, depth);
                        return;
                    }
                }
                default -> {
                    if (reprNumpyScalar(obj, t, sb)) {
                        return;
                    }
                }
            }
        }
        sb.append('<').append(t.name()).append(" at 0x").append(Long.toHexString(obj)).append('>');
    }

    /** A numpy scalar of a type {@link NumpyScalars} knows: its value, stored right after the object header. */
    private boolean reprNumpyScalar(long obj, PyTypes.Info t, StringBuilder sb) throws MemoryReadException {
        NumpyScalars.Scalar s = NumpyScalars.of(t.name());
        if (s == null || objectHeader == ObjectReads.MISSING
                || (t.basicsize() >= 0 && t.basicsize() < objectHeader + s.bytes())) {
            return false;
        }
        sb.append(NumpyScalars.format(s, reads.read(obj + objectHeader, s.bytes())));
        return true;
    }

    private boolean reprText(long obj, PyTypes.Info t, ReprState r) throws MemoryReadException {
        String name = t.name();
        boolean bytesType = t.has(PyTypes.TPFLAGS_BYTES_SUBCLASS);
        boolean unicodeType = t.has(PyTypes.TPFLAGS_UNICODE_SUBCLASS);
        int want = Math.min(r.remaining() + 1, PyObjects.MAX_STRING_CHARS);
        if (bytesType && name.equals(python2 ? "str" : "bytes")) {
            long size = text.bytesSize(obj);
            long data = text.bytesData(obj);
            int n = quoteScanLength(size, want, 1, r);
            byte[] raw;
            try {
                raw = reads.readRaw(data, n);
            } catch (MemoryReadException e) {
                if (n <= want) {
                    throw e;
                }
                raw = reads.readRaw(data, want);   // the quote scan is best-effort: show what can be read
            }
            PyRepr.bytes(r.sb, python2 ? "" : "b", raw, raw.length, r.limit);
            return true;
        }
        if (unicodeType && name.equals(python2 ? "unicode" : "str")) {
            PyText.Text chars = text.text(obj);
            int n = quoteScanLength(chars.length(), want, chars.unit(), r);
            int[] cps;
            try {
                cps = text.codePoints(chars, n);
            } catch (MemoryReadException e) {
                if (n <= want) {
                    throw e;
                }
                cps = text.codePoints(chars, want);   // the quote scan is best-effort: show what can be read
            }
            if (python2) {
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
        long n = reads.readLong(obj + reads.need(obSize, "PyVarObject.ob_size"));
        if (n < 0 || n > ABSURD_LENGTH) {
            throw new MemoryReadException(String.format("%s at 0x%x has implausible size %d", tuple ? "tuple" : "list", obj, n));
        }
        char open = tuple ? '(' : '[';
        char close = tuple ? ')' : ']';
        if (n == 0) {
            sb.append(open).append(close);
            return;
        }
        if (depth >= PyObjects.MAX_REPR_DEPTH || r.active.contains(obj)) {
            sb.append(open).append("...").append(close);
            return;
        }
        long items = tuple ? obj + reads.need(tupleItem, "PyTupleObject.ob_item")
                : reads.readLong(obj + reads.need(listItem, "PyListObject.ob_item"));
        checkPointer(items, 8);
        r.active.add(obj);
        try {
            sb.append(open);
            long i = 0;
            while (i < n && !r.full()) {
                // each item adds at least one char and a ", ": read no more than can still show
                int chunk = (int) Math.min(n - i, Math.min(CHUNK, r.remaining() / 3 + 2));
                long[] ptrs = reads.readPointers(items + i * 8, chunk);
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
        if (dicts.size(obj) == 0) {
            sb.append("{}");
            return;
        }
        if (depth >= PyObjects.MAX_REPR_DEPTH || r.active.contains(obj)) {
            sb.append("{...}");
            return;
        }
        r.active.add(obj);
        try {
            sb.append('{');
            boolean[] first = {true};
            // each item is at least "k: v" plus ", ": no more than this many can still show
            long maxItems = r.remaining() / 4 + 2;
            dicts.forEachEntry(obj, maxItems, (k, v) -> {
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
}
