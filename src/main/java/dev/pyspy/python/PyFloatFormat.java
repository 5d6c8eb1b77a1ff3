package dev.pyspy.python;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr(float)} (CPython's 'r' format with "add .0"): the shortest decimal digit
 * string that reads back as the same double, closest to the exact value among those; positional
 * notation when the decimal point position lies in (-4, 16], else {@code d.ddde±XX}.
 * Independent of the JDK's {@code Double.toString}, which is not always shortest before JDK 19.
 */
public final class PyFloatFormat {

    private PyFloatFormat() {
    }

    public static String repr(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        boolean negative = Double.doubleToRawLongBits(x) < 0;
        if (x == 0) {
            return negative ? "-0.0" : "0.0";
        }
        BigDecimal shortest = shortest(Math.abs(x));
        int decpt = shortest.precision() - shortest.scale();
        return format(negative, shortest, decpt > -4 && decpt <= 16);
    }

    /**
     * A value of a binary format narrower than a double (IEEE binary16: 5 exponent and 10 fraction
     * bits; binary32: 8 and 23), given by its bits, as numpy's {@code str} writes its float16 and
     * float32 scalars: the shortest decimal that reads back as the same value in that format,
     * positional when the value is at least 1e-4 and below {@code positionalBelow} (numpy's cutoff
     * depends on the type), else {@code d.ddde±XX}.
     */
    public static String reprNarrow(long bits, int exponentBits, int fractionBits, double positionalBelow) {
        long signBit = 1L << (exponentBits + fractionBits);
        boolean negative = (bits & signBit) != 0;
        long magnitude = bits & (signBit - 1);
        long fractionMask = (1L << fractionBits) - 1;
        long exponentMask = ((1L << exponentBits) - 1) << fractionBits;
        if ((magnitude & exponentMask) == exponentMask) {
            return (magnitude & fractionMask) != 0 ? "nan" : negative ? "-inf" : "inf";
        }
        if (magnitude == 0) {
            return negative ? "-0.0" : "0.0";
        }
        // every value of the narrow format, and the midpoints between neighbours, are exact in a double
        double a = narrowValue(magnitude, exponentBits, fractionBits);
        double below = narrowValue(magnitude - 1, exponentBits, fractionBits);
        double above = narrowValue(magnitude + 1, exponentBits, fractionBits);
        return format(negative, shortestBetween(a, below, above, (magnitude & 1) == 0), a >= 1e-4 && a < positionalBelow);
    }

    /** A non-negative magnitude's value; the all-ones exponent is read as one more binade (past the largest finite). */
    private static double narrowValue(long magnitude, int exponentBits, int fractionBits) {
        int bias = (1 << (exponentBits - 1)) - 1;
        long exponent = magnitude >>> fractionBits;
        long fraction = magnitude & ((1L << fractionBits) - 1);
        if (exponent == 0) {
            return Math.scalb((double) fraction, 1 - bias - fractionBits);
        }
        return Math.scalb((double) ((1L << fractionBits) | fraction), (int) exponent - bias - fractionBits);
    }

    /**
     * The shortest decimal, nearest to {@code a} among those as short, that rounds to {@code a} in a
     * format where its neighbours are {@code below} and {@code above}: it lies strictly between the
     * midpoints, or on one when {@code a} is the even neighbour (ties round to even).
     */
    static BigDecimal shortestBetween(double a, double below, double above, boolean even) {
        BigDecimal exact = new BigDecimal(a);
        BigDecimal two = BigDecimal.valueOf(2);
        BigDecimal low = exact.add(new BigDecimal(below)).divide(two);
        BigDecimal high = exact.add(new BigDecimal(above)).divide(two);
        for (int p = 1; p <= 17; p++) {
            for (RoundingMode mode : new RoundingMode[] {RoundingMode.HALF_EVEN, RoundingMode.FLOOR, RoundingMode.CEILING}) {
                BigDecimal c = exact.round(new MathContext(p, mode));
                int lo = c.compareTo(low);
                int hi = c.compareTo(high);
                if ((lo > 0 && hi < 0) || (even && (lo == 0 || hi == 0))) {
                    return c.stripTrailingZeros();
                }
            }
        }
        return exact.stripTrailingZeros();
    }

    /** A shortest decimal written positionally ({@code 123.4}, {@code 0.001}, {@code 5.0}) or as {@code d.ddde±XX}. */
    private static String format(boolean negative, BigDecimal shortest, boolean positional) {
        String digits = shortest.unscaledValue().toString();
        // value = 0.DIGITS x 10^decpt, as CPython's dtoa reports it
        int decpt = digits.length() - shortest.scale();
        StringBuilder sb = new StringBuilder(32);
        if (negative) {
            sb.append('-');
        }
        int n = digits.length();
        if (!positional) {
            sb.append(digits.charAt(0));
            if (n > 1) {
                sb.append('.').append(digits, 1, n);
            }
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            int ae = Math.abs(exp);
            if (ae < 10) {
                sb.append('0');
            }
            sb.append(ae);
        } else if (decpt <= 0) {
            sb.append("0.");
            for (int i = 0; i < -decpt; i++) {
                sb.append('0');
            }
            sb.append(digits);
        } else if (decpt >= n) {
            sb.append(digits);
            for (int i = n; i < decpt; i++) {
                sb.append('0');
            }
            sb.append(".0");
        } else {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, n);
        }
        return sb.toString();
    }

    /** The shortest round-tripping decimal for a finite positive double, trailing zeros stripped. */
    static BigDecimal shortest(double a) {
        BigDecimal exact = new BigDecimal(a);
        for (int p = 1; p <= 17; p++) {
            BigDecimal nearest = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (nearest.doubleValue() == a) {
                return nearest.stripTrailingZeros();
            }
            // the rounding interval is asymmetric at powers of two: the other neighbour may still read back
            int c = nearest.compareTo(exact);
            if (c != 0) {
                BigDecimal other = exact.round(new MathContext(p, c > 0 ? RoundingMode.FLOOR : RoundingMode.CEILING));
                if (other.doubleValue() == a) {
                    return other.stripTrailingZeros();
                }
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }
}
