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
        double a = Math.abs(x);
        BigDecimal shortest = shortest(a);
        String digits = shortest.unscaledValue().toString();
        // value = 0.DIGITS x 10^decpt, as CPython's dtoa reports it
        int decpt = digits.length() - shortest.scale();
        StringBuilder sb = new StringBuilder(32);
        if (negative) {
            sb.append('-');
        }
        int n = digits.length();
        if (decpt <= -4 || decpt > 16) {
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
