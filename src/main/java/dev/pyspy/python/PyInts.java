package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static dev.pyspy.python.ObjectReads.ABSURD_LENGTH;
import static dev.pyspy.python.ObjectReads.MISSING;
import static dev.pyspy.python.ObjectReads.checkObject;

/**
 * Integers: {@code PyLongObject} (sign and size in {@code ob_size}, or in {@code lv_tag} from 3.12)
 * and Python 2's machine-word {@code int}.
 */
final class PyInts {
    private final ObjectReads reads;
    private final PyTypes types;
    private final int obSize;
    /** Python 2's {@code int} value; MISSING where there is no such type. */
    private final int intIval;
    private final int longDigit;
    private final int longTag;
    private final int longShift;
    private final int digitSize;

    PyInts(ObjectReads reads, PyTypes types) throws PyspyException {
        this.reads = reads;
        this.types = types;
        obSize = reads.optional("PyVarObject.ob_size");
        intIval = reads.optional("PyIntObject.ob_ival");
        longDigit = reads.optional("PyLongObject.ob_digit");
        longTag = reads.optional("PyLongObject.lv_tag");
        List<String> missing = new ArrayList<>();
        longShift = reads.required("const.PyLong_SHIFT", missing);
        digitSize = reads.required("sizeof.digit", missing);
        reads.requireAll(missing);
    }

    /** Whether a type with these flags is Python 2's {@code int} (whose flag bit later versions reuse). */
    boolean isPython2Int(PyTypes.Info t) {
        return intIval != MISSING && t.has(PyTypes.TPFLAGS_INT_SUBCLASS);
    }

    /** A Python 2 {@code int}'s value. */
    long python2IntValue(long obj) throws MemoryReadException {
        return reads.readLong(obj + reads.need(intIval, "PyIntObject.ob_ival"));
    }

    /**
     * An int (Python 2 int or long, bools included) as a Java long. Values from 2^63 to 2^64-1 (for
     * instance a thread ident, an unsigned long) keep their 64 bits; anything wider fails.
     */
    long longValue(long obj) throws MemoryReadException {
        checkObject(obj);
        PyTypes.Info t = types.of(obj);
        if (isPython2Int(t)) {
            return python2IntValue(obj);
        }
        if (!t.has(PyTypes.TPFLAGS_LONG_SUBCLASS)) {
            throw PyTypes.notA("int", obj, t);
        }
        BigInteger v = bigInteger(obj, 64 / longShift + 2);
        if (v == null || v.bitLength() > 64 || (v.signum() < 0 && v.bitLength() > 63)) {
            throw new MemoryReadException(String.format("int at 0x%x does not fit in 64 bits", obj));
        }
        return v.longValue();
    }

    /** A PyLongObject's value, or null when it has more than {@code maxDigits} digits. */
    BigInteger bigInteger(long obj, int maxDigits) throws MemoryReadException {
        long ndigits;
        int sign;
        if (longTag != MISSING) {
            long tag = reads.readLong(obj + longTag);
            int s = (int) (tag & 3);
            if (s == 3) {
                throw new MemoryReadException(String.format("int at 0x%x has an invalid sign in lv_tag 0x%x", obj, tag));
            }
            sign = 1 - s;
            ndigits = tag >>> 3;
        } else {
            long size = reads.readLong(obj + reads.need(obSize, "PyVarObject.ob_size"));
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
        byte[] raw = reads.readRaw(obj + reads.need(longDigit, "PyLongObject.ob_digit"), n * digitSize);
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
}
