package dev.pyspy.python;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The values of numpy scalars as {@code dump --locals} writes them: the expected texts are numpy 2.4's
 * own {@code str} of each value (bools as py-spy writes them). {@code NumpyScalarLocalsTest} checks the
 * same against a live numpy.
 */
class NumpyScalarsTest {

    @Test
    void integersAndBoolsByKindAndSize() {
        assertEquals("true", format("numpy.bool", 1));
        assertEquals("false", format("numpy.bool_", 0));
        assertEquals("-128", format("numpy.int8", 0x80));
        assertEquals("127", format("numpy.int8", 0x7f));
        assertEquals("42", format("numpy.int16", 42));
        assertEquals("-2147483648", format("numpy.int32", 0x8000_0000L));
        assertEquals("-1", format("numpy.int64", -1L));
        assertEquals("-11", format("numpy.longlong", -11L));
        assertEquals("255", format("numpy.uint8", 0xff));
        assertEquals("65535", format("numpy.uint16", 0xffff));
        assertEquals("4294967295", format("numpy.uint32", 0xffff_ffffL));
        assertEquals("18446744073709551615", format("numpy.uint64", -1L));
        assertEquals("12", format("numpy.ulonglong", 12));
    }

    @Test
    void floatsAsNumpyWritesThem() {
        assertEquals("0.5", format("numpy.float32", Float.floatToRawIntBits(0.5f)));
        assertEquals("0.7", format("numpy.float32", Float.floatToRawIntBits(0.7f)));
        assertEquals("1.0", format("numpy.float32", Float.floatToRawIntBits(1f)));
        assertEquals("1e+20", format("numpy.float32", Float.floatToRawIntBits(1e20f)));
        assertEquals("123456.7", format("numpy.float32", Float.floatToRawIntBits(123456.7f)));
        assertEquals("1e+06", format("numpy.float32", Float.floatToRawIntBits(1e6f)));
        assertEquals("1.6777216e+07", format("numpy.float32", Float.floatToRawIntBits(16777216f)));
        assertEquals("1e-04", format("numpy.float32", Float.floatToRawIntBits(1e-4f)));
        assertEquals("3.4028235e+38", format("numpy.float32", Float.floatToRawIntBits(Float.MAX_VALUE)));
        assertEquals("1e-45", format("numpy.float32", Float.floatToRawIntBits(Float.MIN_VALUE)));
        assertEquals("-inf", format("numpy.float32", Float.floatToRawIntBits(Float.NEGATIVE_INFINITY)));
        assertEquals("nan", format("numpy.float32", Float.floatToRawIntBits(Float.NaN)));
        assertEquals("-0.0", format("numpy.float32", Float.floatToRawIntBits(-0f)));
        assertEquals("0.1", format("numpy.float64", Double.doubleToRawLongBits(0.1)));
        // binary16: 0x34cd is float16(0.3), 0x2e66 float16(0.1), 0x3555 float16(1/3)
        assertEquals("0.3", format("numpy.float16", 0x34cd));
        assertEquals("0.1", format("numpy.float16", 0x2e66));
        assertEquals("0.3333", format("numpy.float16", 0x3555));
        assertEquals("6.55e+04", format("numpy.float16", 0x7bff));
        assertEquals("999.0", format("numpy.float16", 0x63ce));
        assertEquals("1.024e+03", format("numpy.float16", 0x6400));
        assertEquals("0.0001", format("numpy.float16", 0x068e));
        assertEquals("6e-08", format("numpy.float16", 0x0001));
        assertEquals("-2.0", format("numpy.float16", 0xc000));
        assertEquals("inf", format("numpy.float16", 0x7c00));
        assertEquals("nan", format("numpy.float16", 0x7e00));
    }

    @Test
    void float32TextReadsBackAsTheSameFloatAndIsNoLongerThanJavas() {
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < 20_000; i++) {
            int bits = random.nextInt();
            float f = Float.intBitsToFloat(bits);
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                continue;
            }
            String text = format("numpy.float32", bits & 0xffff_ffffL);
            assertEquals(f, Float.parseFloat(text), text);
            assertTrue(digits(text) <= digits(Float.toString(f)), text + " vs " + f);
        }
    }

    @Test
    void typesOutsideTheTableHaveNoValue() {
        assertNull(NumpyScalars.of("numpy.longdouble"));
        assertNull(NumpyScalars.of("numpy.complex128"));
        assertNull(NumpyScalars.of("int"));
        assertNotNull(NumpyScalars.of("numpy.float16"));
    }

    private static int digits(String text) {
        String mantissa = text.replaceFirst("[eE].*", "").replace("-", "").replace(".", "");
        return mantissa.replaceFirst("^0+", "").replaceFirst("0+$", "").length();
    }

    private static String format(String type, long bits) {
        NumpyScalars.Scalar s = NumpyScalars.of(type);
        assertNotNull(s, type);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bits);
        return NumpyScalars.format(s, b);
    }
}
