package dev.pyspy.python;

/**
 * Maps an instruction offset to a source line the way CPython's {@code PyCode_Addr2Line} does,
 * which is what {@code frame.f_lineno} reports when no tracer is set.
 *
 * <p>There is one decoder per table format:
 * <table>
 *   <caption>Formats</caption>
 *   <tr><th>Version</th><th>Table</th><th>Method</th><th>Offset argument</th></tr>
 *   <tr><td>2.7</td><td>{@code co_lnotab}</td><td>{@link #lnotabLine27}</td><td>bytes ({@code f_lasti})</td></tr>
 *   <tr><td>3.6-3.9</td><td>{@code co_lnotab}</td><td>{@link #lnotabLine}</td><td>bytes ({@code f_lasti})</td></tr>
 *   <tr><td>3.10</td><td>{@code co_linetable}</td><td>{@link #linetable310Line}</td>
 *       <td>bytes: the C field {@code f_lasti} counts code units, pass {@code f_lasti * 2}</td></tr>
 *   <tr><td>3.11+</td><td>{@code co_linetable}</td><td>{@link #locationTableLine}</td>
 *       <td>code units from the start of the bytecode (the interpreter's own "lasti")</td></tr>
 * </table>
 *
 * <p>Shared rules:
 * <ul>
 *   <li>A negative offset (a frame that has not run its first instruction yet) gives {@code firstLine},
 *       as in CPython.</li>
 *   <li>From 3.10 on the compiler may give an instruction no line (artificial jumps, exception
 *       clean-up code). For those the decoders return {@link #NO_LINE} (-1), exactly like
 *       {@code PyCode_Addr2Line}; {@code f_lineno} is then {@code None}. The caller decides how to show
 *       it (for example the line of the caller's previous sample, or {@code firstLine}).</li>
 *   <li>Malformed input never throws and every loop is bounded by the table length: a null table,
 *       an offset past what the table covers (a truncated table), a cut-off entry or garbage bytes give
 *       the last line decoded so far, or {@code firstLine} when nothing was decoded. (For a well-formed
 *       3.10+ table and an offset beyond the code CPython itself would return -1; a real frame never
 *       points there, so the friendlier answer is used for truncated tables instead.)</li>
 * </ul>
 *
 * <p>The methods allocate nothing and keep no state: they run on the sampling hot path over cached
 * byte arrays. See {@code Objects/lnotab_notes.txt} (up to 3.10) and {@code Objects/locations.md} /
 * {@code InternalDocs/code_objects.md} (3.11+) in CPython.
 */
public final class LineTable {

    /** Returned for an instruction the compiler gave no line (3.10+). */
    public static final int NO_LINE = -1;

    /** 3.10: a line delta of -128 marks a range without a line. */
    private static final int LINETABLE310_NO_LINE = -128;

    // 3.11+ location-entry codes (bits 3-6 of an entry's first byte)
    private static final int LOC_ONE_LINE0 = 10;
    private static final int LOC_ONE_LINE2 = 12;
    private static final int LOC_NO_COLUMNS = 13;
    private static final int LOC_LONG = 14;
    private static final int LOC_NONE = 15;

    private LineTable() {
    }

    /**
     * Python 2.7 {@code co_lnotab}: pairs of (unsigned byte increment, unsigned line increment).
     *
     * @param lnotab     the raw {@code co_lnotab} bytes; an odd trailing byte is ignored
     * @param firstLine  {@code co_firstlineno}
     * @param lastiBytes byte offset of the current instruction ({@code f_lasti})
     * @return the line; never {@link #NO_LINE} (2.7 has no such concept)
     */
    public static int lnotabLine27(byte[] lnotab, int firstLine, int lastiBytes) {
        return lnotab(lnotab, firstLine, lastiBytes, false);
    }

    /**
     * Python 3.6-3.9 {@code co_lnotab}: pairs of (unsigned byte increment, signed line increment).
     *
     * @param lnotab     the raw {@code co_lnotab} bytes; an odd trailing byte is ignored
     * @param firstLine  {@code co_firstlineno}
     * @param lastiBytes byte offset of the current instruction ({@code f_lasti})
     * @return the line; never {@link #NO_LINE} (these versions have no such concept)
     */
    public static int lnotabLine(byte[] lnotab, int firstLine, int lastiBytes) {
        return lnotab(lnotab, firstLine, lastiBytes, true);
    }

    private static int lnotab(byte[] table, int firstLine, int lastiBytes, boolean signedLines) {
        if (table == null) {
            return firstLine;
        }
        int line = firstLine;
        long addr = 0;
        int end = table.length - 1;
        for (int i = 0; i < end; i += 2) {
            addr += table[i] & 0xff;
            if (addr > lastiBytes) {
                break;
            }
            line += signedLines ? table[i + 1] : table[i + 1] & 0xff;
        }
        return line;
    }

    /**
     * Python 3.10 {@code co_linetable}: pairs of (unsigned byte length of the range, signed line delta),
     * a delta of -128 meaning the range has no line; zero-length ranges only carry line deltas.
     *
     * @param linetable  the raw {@code co_linetable} bytes; an odd trailing byte is ignored
     * @param firstLine  {@code co_firstlineno}
     * @param lastiBytes byte offset of the current instruction. In 3.10 the C field {@code f_lasti} is an
     *                   index in 2-byte code units, so pass {@code f_lasti * 2} (the Python-level
     *                   {@code frame.f_lasti} attribute is already in bytes)
     * @return the line, or {@link #NO_LINE} when the range holding the offset has none
     */
    public static int linetable310Line(byte[] linetable, int firstLine, int lastiBytes) {
        if (lastiBytes < 0 || linetable == null) {
            return firstLine;
        }
        int computed = firstLine;
        long end = 0;
        int last = linetable.length - 1;
        for (int i = 0; i < last; i += 2) {
            end += linetable[i] & 0xff;
            int delta = linetable[i + 1];
            boolean noLine = delta == LINETABLE310_NO_LINE;
            if (!noLine) {
                computed += delta;
            }
            // A zero-length range cannot hold the offset: its end equals the previous end,
            // which was <= lastiBytes or we would have returned already.
            if (end > lastiBytes) {
                return noLine ? NO_LINE : computed;
            }
        }
        return computed;
    }

    /**
     * Python 3.11+ location table ({@code co_linetable}); the format is unchanged through 3.15.
     * Each entry starts with a byte {@code 1CCCCLLL} (code C, length L+1 code units) followed by bytes
     * with the top bit clear. Line deltas: codes 0-9 (short forms) 0, codes 10-12 (one-line forms)
     * {@code code - 10}, codes 13 (no columns) and 14 (long form) a signed varint, code 15 no location.
     *
     * @param table         the raw {@code co_linetable} bytes
     * @param firstLine     {@code co_firstlineno}
     * @param codeUnitIndex index of the current instruction in 2-byte code units from the start of the
     *                      bytecode (the interpreter's lasti; the Python-level {@code frame.f_lasti} is
     *                      twice that)
     * @return the line, or {@link #NO_LINE} for an entry with no location
     */
    public static int locationTableLine(byte[] table, int firstLine, int codeUnitIndex) {
        if (codeUnitIndex < 0 || table == null) {
            return firstLine;
        }
        int n = table.length;
        int line = firstLine;
        long addr = 0;
        int i = 0;
        while (i < n) {
            int first = table[i++] & 0xff;
            if ((first & 0x80) == 0) {
                continue; // not an entry start: garbage, resynchronise on the next entry
            }
            int code = (first >> 3) & 0xf;
            boolean noLocation = code == LOC_NONE;
            if (code == LOC_NO_COLUMNS || code == LOC_LONG) {
                // signed varint: 6-bit chunks, least significant first, bit 6 = more chunks follow
                int value = 0;
                int shift = 0;
                boolean complete = false;
                while (i < n) {
                    int b = table[i];
                    if ((b & 0x80) != 0) {
                        break; // next entry started inside the varint: malformed
                    }
                    i++;
                    if (shift < 32) {
                        value |= (b & 0x3f) << shift;
                    }
                    shift += 6;
                    if ((b & 0x40) == 0) {
                        complete = true;
                        break;
                    }
                }
                if (!complete) {
                    return line;
                }
                line += (value & 1) != 0 ? -(value >>> 1) : value >>> 1;
            } else if (code >= LOC_ONE_LINE0 && code <= LOC_ONE_LINE2) {
                line += code - LOC_ONE_LINE0;
            }
            addr += (first & 7) + 1;
            if (addr > codeUnitIndex) {
                return noLocation ? NO_LINE : line;
            }
            while (i < n && (table[i] & 0x80) == 0) {
                i++; // column bytes and the rest of a long form
            }
        }
        return line;
    }
}
