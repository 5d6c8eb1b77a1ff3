package dev.pyspy.python;

/**
 * Makes names read from a target (function names, file names, thread names) safe to print in every
 * output: one line, well-formed Unicode, bounded length. A program controls these strings and may
 * make them anything: a 1 MiB name, control characters, or lone surrogates — which is how Python
 * keeps bytes that are not UTF-8 ({@code os.fsdecode(b"\xff") == "\udcff"}), so they turn up in
 * the file names of any non-UTF-8 path.
 *
 * <ul>
 *   <li>a lone surrogate U+DC80..U+DCFF (an undecodable byte) becomes {@code \xNN}, the byte it
 *       stands for; any other lone surrogate {@code \\uXXXX};</li>
 *   <li>control characters become {@code \n}, {@code \r}, {@code \t} or {@code \xNN};</li>
 *   <li>invisible characters that change how the text around them reads — bidirectional controls
 *       (U+202E turns the rest of the line around), other format characters (Unicode category Cf:
 *       zero-width spaces and joiners, U+FEFF, tag characters) and the line and paragraph separators
 *       U+2028/U+2029 — become {@code \\uXXXX} ({@code \\UXXXXXXXX} above U+FFFF), so a name shows
 *       what it is made of;</li>
 *   <li>text longer than {@link #MAX_CHARS} code points is cut there and ends with "…".</li>
 * </ul>
 * Ordinary text (any valid Unicode without those characters) is returned unchanged.
 */
public final class DisplayText {
    /** Longest name kept, in code points; reading one more tells whether it was cut. */
    public static final int MAX_CHARS = 4096;

    private DisplayText() {
    }

    /** {@code s} made printable (see the class comment); null stays null. */
    public static String clean(String s) {
        if (s == null) {
            return null;
        }
        int n = s.length();
        boolean plain = n <= MAX_CHARS;
        for (int i = 0; i < n && plain; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                plain = !hidesItself(Character.toCodePoint(c, s.charAt(++i)));
            } else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || Character.isSurrogate(c) || hidesItself(c)) {
                plain = false;
            }
        }
        if (plain) {
            return s;
        }
        StringBuilder out = new StringBuilder(Math.min(n, MAX_CHARS) + 16);
        int codePoints = 0;
        for (int i = 0; i < n; i++) {
            if (codePoints == MAX_CHARS) {
                out.append('…');
                break;
            }
            codePoints++;
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                if (hidesItself(cp)) {
                    out.append(String.format("\\U%08x", cp));
                } else {
                    out.append(c).append(s.charAt(i));
                }
            } else if (hidesItself(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else if (c >= 0xdc80 && c <= 0xdcff) {
                out.append(String.format("\\x%02x", c & 0xff));
            } else if (Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A format character (bidi controls, zero-width characters, ...) or a line or paragraph separator. */
    private static boolean hidesItself(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
