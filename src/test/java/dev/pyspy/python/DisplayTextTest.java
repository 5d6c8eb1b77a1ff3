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
    void invisibleCharactersThatChangeHowTextReadsAreEscaped() {
        assertEquals("evil\\u202efdp.exe", DisplayText.clean("evil\u202efdp.exe"));
        assertEquals("\\u2066a\\u2067b\\u2068c\\u2069\\u202a\\u202b\\u202c\\u202d\\u200e\\u200f\\u061c",
                DisplayText.clean("\u2066a\u2067b\u2068c\u2069\u202a\u202b\u202c\u202d\u200e\u200f\u061c"));
        assertEquals("line\\u2028para\\u2029end", DisplayText.clean("line\u2028para\u2029end"));
        assertEquals("zero\\u200bwidth\\u200djoin\\ufeff", DisplayText.clean("zero\u200bwidth\u200djoin\ufeff"));
        assertEquals("tag\\U000e0041", DisplayText.clean("tag\uDB40\uDC41")); // U+E0041 TAG LATIN CAPITAL LETTER A
        String visible = "caf\u00e9 \u0645\u0631\u062d\u0628\u0627 \uD83D\uDE00";
        assertSame(visible, DisplayText.clean(visible), "right-to-left letters and emoji are text, not controls");
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
