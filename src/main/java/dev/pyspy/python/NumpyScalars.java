package dev.pyspy.python;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * numpy's scalar types that a repr shows by value ({@code 42}, {@code true}, {@code 0.5}) rather than
 * as {@code <numpy.int16 at 0x...>}, as data (the resource {@code numpy/scalars.txt}): each type's
 * name, and the kind and size of the value stored right after its object header.
 */
final class NumpyScalars {
    private static final String RESOURCE = "/dev/pyspy/numpy/scalars.txt";
    private static final Map<String, Scalar> TYPES = load();

    enum Kind { BOOL, INT, UINT, FLOAT }

    /** How one scalar type stores its value: {@code bytes} little-endian bytes of a {@code kind}. */
    record Scalar(Kind kind, int bytes) {
    }

    private NumpyScalars() {
    }

    /** The scalar type called {@code typeName}, or null when it is not one shown by value. */
    static Scalar of(String typeName) {
        return TYPES.get(typeName);
    }

    /** The text of a value whose {@code s.bytes()} bytes start at {@code b}'s index 0. */
    static String format(Scalar s, ByteBuffer b) {
        long raw = 0;
        for (int i = 0; i < s.bytes(); i++) {
            raw |= (b.get(i) & 0xffL) << (8 * i);
        }
        int unused = 64 - 8 * s.bytes();
        return switch (s.kind()) {
            case BOOL -> raw != 0 ? "true" : "false";
            case INT -> Long.toString((raw << unused) >> unused);
            case UINT -> Long.toUnsignedString(raw);
            // numpy's str writes a float positionally from 1e-4 up to 1e3 (float16), 1e6 (float32), 1e16 (float64)
            case FLOAT -> switch (s.bytes()) {
                case 2 -> PyFloatFormat.reprNarrow(raw, 5, 10, 1e3);
                case 4 -> PyFloatFormat.reprNarrow(raw, 8, 23, 1e6);
                default -> PyFloatFormat.repr(Double.longBitsToDouble(raw));
            };
        };
    }

    private static Map<String, Scalar> load() {
        Map<String, Scalar> types = new HashMap<>();
        for (String[] f : DataFile.records(RESOURCE)) {
            Scalar s = f.length == 3 ? parse(f[1], f[2]) : null;
            if (s == null) {
                throw DataFile.badRecord(RESOURCE, f);
            }
            types.put(f[0], s);
        }
        return Map.copyOf(types);
    }

    private static Scalar parse(String kind, String bytes) {
        Kind k;
        try {
            k = Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
        int n = bytes.matches("[1248]") ? Integer.parseInt(bytes) : 0;
        boolean fits = switch (k) {
            case BOOL -> n == 1;
            case INT, UINT -> n > 0;
            case FLOAT -> n >= 2;
        };
        return fits ? new Scalar(k, n) : null;
    }
}
