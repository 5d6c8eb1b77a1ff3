package dev.pyspy.python.opcodes;

/**
 * The start column of an instruction from a 3.11+ location table ({@code co_linetable}), as
 * {@code co_positions()} gives it: CPython's {@code InternalDocs/code_objects.md} describes the
 * entries (a first byte {@code 1CCCCLLL}: code C, length L+1 code units; then the code's bytes).
 * Allocates nothing; bounded by the table's length whatever its bytes say.
 */
public final class LocationColumns {
    /** Returned when the instruction has no column (no location, or a table without columns there). */
    public static final int NONE = -1;

    private static final int ONE_LINE0 = 10;
    private static final int ONE_LINE2 = 12;
    private static final int NO_COLUMNS = 13;
    private static final int LONG = 14;
    private static final int NO_LOCATION = 15;

    private LocationColumns() {
    }

    /** The 0-based start column of the instruction at {@code codeUnitIndex}, or {@link #NONE}. */
    public static int startColumn(byte[] table, int codeUnitIndex) {
        if (table == null || codeUnitIndex < 0) {
            return NONE;
        }
        int n = table.length;
        long addr = 0;
        int i = 0;
        while (i < n) {
            int first = table[i++] & 0xff;
            if ((first & 0x80) == 0) {
                continue; // not an entry start: resynchronise on the next one
            }
            int code = (first >> 3) & 0xf;
            addr += (first & 7) + 1;
            if (addr <= codeUnitIndex) {
                while (i < n && (table[i] & 0x80) == 0) {
                    i++;
                }
                continue;
            }
            if (code < ONE_LINE0) { // short form: the code is the column / 8, the next byte has the rest
                return i < n && (table[i] & 0x80) == 0 ? code * 8 + ((table[i] >> 4) & 7) : NONE;
            }
            if (code <= ONE_LINE2) {
                return i < n && (table[i] & 0x80) == 0 ? table[i] & 0x7f : NONE;
            }
            if (code != LONG) {
                return NONE; // NO_COLUMNS, NO_LOCATION
            }
            // long form: line delta, end line delta, then column + 1 (0: none), each a varint
            long column = varintAt(table, skipVarint(table, skipVarint(table, i)));
            return column <= 0 || column > Integer.MAX_VALUE ? NONE : (int) column - 1;
        }
        return NONE;
    }

    /** Where the varint at {@code i} ends. */
    private static int skipVarint(byte[] table, int i) {
        while (i < table.length && (table[i] & 0x80) == 0) {
            if ((table[i++] & 0x40) == 0) {
                break;
            }
        }
        return i;
    }

    /** The unsigned varint at {@code i} (6-bit chunks, least significant first, bit 6: more); -1 if cut off. */
    private static long varintAt(byte[] table, int i) {
        long value = 0;
        int shift = 0;
        while (i < table.length && (table[i] & 0x80) == 0) {
            int b = table[i++];
            if (shift < 42) {
                value |= (long) (b & 0x3f) << shift;
            }
            shift += 6;
            if ((b & 0x40) == 0) {
                return value;
            }
        }
        return -1;
    }
}
