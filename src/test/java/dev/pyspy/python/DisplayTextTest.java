package dev.pyspy.python;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DisplayTextTest {

    @Test
    void ordinaryNamesAreKeptAsTheyAre() {
        for (String s : new String[]{"main", "naïve_función_λ", "astral_\uD83D\uDE00", "<module>", "", "a b;c"}) {
            assertSame(s, DisplayText.clean(s));
        }
        assertNull(DisplayText.clean(null));
    }

    @Test
    void undecodableBytesShowAsTheBytesTheyStandFor() {
        // Python keeps the byte 0xff of a non-UTF-8 file name as the lone surrogate U+DCFF
        assertEquals("bad_\\xff\\xfe.py", DisplayText.clean("bad_\uDCFF\uDCFE.py"));
        assertEquals("x\\ud800y\\udfffz", DisplayText.clean("x\uD800y\uDFFFz"));
        String cleaned = DisplayText.clean("\uDCC3\uD83D");
        assertEquals(cleaned, new String(cleaned.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                "well-formed: survives a UTF-8 round trip");
    }

    @Test
    void controlCharactersCannotBreakALine() {
        assertEquals("a\\nb\\rc\\td\\x00e\\x7ff\\x85", DisplayText.clean("a\nb\rc\td\u0000e\u007ff\u0085"));
    }

    @Test
    void gigantNamesAreCutAtTheLimitWithAnEllipsis() {
        String huge = "h".repeat(1 << 20);
        String cleaned = DisplayText.clean(huge);
        assertEquals(DisplayText.MAX_CHARS + 1, cleaned.length());
        assertTrue(cleaned.endsWith("h…"));
        String exact = "x".repeat(DisplayText.MAX_CHARS);
        assertSame(exact, DisplayText.clean(exact));
        String astral = "\uD83D\uDE00".repeat(DisplayText.MAX_CHARS); // MAX_CHARS code points, twice the chars
        assertEquals(astral, DisplayText.clean(astral));
    }
}
