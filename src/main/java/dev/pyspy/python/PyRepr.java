package dev.pyspy.python;

/**
 * Python's quoting and escaping rules for the reprs of text and byte strings, written into a
 * bounded buffer: each method stops appending once the buffer holds more than {@code limit} chars.
 */
final class PyRepr {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PyRepr() {
    }

    /** Single quotes unless the text contains ' and no " (the same rule in every version and for bytes). */
    static char quoteFor(boolean hasSingle, boolean hasDouble) {
        return hasSingle && !hasDouble ? '"' : '\'';
    }

    /** Python 3 {@code str.__repr__}: printable non-ASCII characters stay, others become backslash-x, -u or -U escapes. */
    static void str3(StringBuilder sb, int[] cps, int count, int limit) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < count; i++) {
            single |= cps[i] == '\'';
            dbl |= cps[i] == '"';
        }
        char quote = quoteFor(single, dbl);
        sb.append(quote);
        for (int i = 0; i < count && sb.length() <= limit; i++) {
            int ch = cps[i];
            if (ch == quote || ch == '\\') {
                sb.append('\\').append((char) ch);
            } else if (ch == '\t') {
                sb.append("\\t");
            } else if (ch == '\n') {
                sb.append("\\n");
            } else if (ch == '\r') {
                sb.append("\\r");
            } else if (ch < ' ' || ch == 0x7f) {
                hex(sb, 'x', ch, 2);
            } else if (ch < 0x7f) {
                sb.append((char) ch);
            } else if (isPrintable(ch)) {
                sb.appendCodePoint(ch);
            } else if (ch <= 0xff) {
                hex(sb, 'x', ch, 2);
            } else if (ch <= 0xffff) {
                hex(sb, 'u', ch, 4);
            } else {
                hex(sb, 'U', ch, 8);
            }
        }
        sb.append(quote);
    }

    /**
     * Python 2 {@code unicode.__repr__}: {@code u'...'} with every non-ASCII character escaped;
     * on narrow (UTF-16) builds a surrogate pair becomes one backslash-U escape.
     */
    static void unicode2(StringBuilder sb, int[] cps, int count, int limit) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < count; i++) {
            single |= cps[i] == '\'';
            dbl |= cps[i] == '"';
        }
        char quote = quoteFor(single, dbl);
        sb.append('u').append(quote);
        for (int i = 0; i < count && sb.length() <= limit; i++) {
            int ch = cps[i];
            if (ch >= 0xd800 && ch < 0xdc00 && i + 1 < count && cps[i + 1] >= 0xdc00 && cps[i + 1] <= 0xdfff) {
                int combined = 0x10000 + ((ch - 0xd800) << 10) + (cps[i + 1] - 0xdc00);
                hex(sb, 'U', combined, 8);
                i++;
            } else if (ch == quote || ch == '\\') {
                sb.append('\\').append((char) ch);
            } else if (ch == '\t') {
                sb.append("\\t");
            } else if (ch == '\n') {
                sb.append("\\n");
            } else if (ch == '\r') {
                sb.append("\\r");
            } else if (ch >= 0x10000) {
                hex(sb, 'U', ch, 8);
            } else if (ch >= 0x100) {
                hex(sb, 'u', ch, 4);
            } else if (ch < ' ' || ch >= 0x7f) {
                hex(sb, 'x', ch, 2);
            } else {
                sb.append((char) ch);
            }
        }
        sb.append(quote);
    }

    /** Python 3 {@code bytes.__repr__} (prefix "b") and Python 2 {@code str.__repr__} (prefix ""). */
    static void bytes(StringBuilder sb, String prefix, byte[] data, int count, int limit) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < count; i++) {
            single |= data[i] == '\'';
            dbl |= data[i] == '"';
        }
        char quote = quoteFor(single, dbl);
        sb.append(prefix).append(quote);
        for (int i = 0; i < count && sb.length() <= limit; i++) {
            int ch = data[i] & 0xff;
            if (ch == quote || ch == '\\') {
                sb.append('\\').append((char) ch);
            } else if (ch == '\t') {
                sb.append("\\t");
            } else if (ch == '\n') {
                sb.append("\\n");
            } else if (ch == '\r') {
                sb.append("\\r");
            } else if (ch < ' ' || ch >= 0x7f) {
                hex(sb, 'x', ch, 2);
            } else {
                sb.append((char) ch);
            }
        }
        sb.append(quote);
    }

    private static void hex(StringBuilder sb, char kind, int value, int digits) {
        sb.append('\\').append(kind);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            sb.append(HEX[(value >>> shift) & 0xf]);
        }
    }

    /**
     * Python's {@code str.isprintable()} for one code point: false for the categories Cc, Cf, Cs, Co,
     * Cn, Zl, Zp and Zs other than the space. Uses the JDK's Unicode tables, which may be a different
     * Unicode version than the target's for recently assigned characters.
     */
    static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        if (cp < 0 || cp > Character.MAX_CODE_POINT) {
            return false;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }
}
