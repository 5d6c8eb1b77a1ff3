package dev.pyspy.output;

/** XML text helpers for the SVG writer. */
final class Xml {
    private Xml() {
    }

    /**
     * Escapes {@code < > & " '} so the result is safe in element content and in attribute values
     * (either quote), and replaces characters XML 1.0 forbids (controls other than tab, newline and
     * carriage return, lone surrogates, U+FFFE/U+FFFF) with U+FFFD.
     */
    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = null;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String rep = null;
            switch (c) {
                case '<' -> rep = "&lt;";
                case '>' -> rep = "&gt;";
                case '&' -> rep = "&amp;";
                case '"' -> rep = "&quot;";
                case '\'' -> rep = "&#39;";
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        if (sb != null) {
                            sb.append(c).append(s.charAt(i + 1));
                        }
                        i++;
                        continue;
                    }
                    if (!allowed(c)) {
                        rep = "\uFFFD";
                    }
                }
            }
            if (rep != null) {
                if (sb == null) {
                    sb = new StringBuilder(n + 16);
                    sb.append(s, 0, i);
                }
                sb.append(rep);
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static boolean allowed(char c) {
        if (c < 0x20) {
            return c == '\t' || c == '\n' || c == '\r';
        }
        if (Character.isSurrogate(c)) {
            return false; // a pair was handled by the caller
        }
        return c != 0xFFFE && c != 0xFFFF;
    }
}
