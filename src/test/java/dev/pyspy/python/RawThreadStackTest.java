package dev.pyspy.python;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stack is kept whole up to {@link RawThreadStack#MAX_FRAMES} - 1 frames; a deeper one keeps its
 * innermost and outermost frames in order with one marker between them. Frame {@code i} is pushed
 * with line {@code i}, so the lines say which frames were kept and in what order.
 */
class RawThreadStackTest {
    private static final CodeInfo CODE = new CodeInfo(1, 0x1000, "f", "f.py", "f.py", 1, new byte[0],
            CodeInfo.LineFormat.LOCATION_TABLE);
    private static final CodeInfo MARKER = new CodeInfo(2, 0, "<marker>", null, null, 0, new byte[0],
            CodeInfo.LineFormat.LOCATION_TABLE);
    private static final int WHOLE = RawThreadStack.MAX_FRAMES - 1;

    @ParameterizedTest(name = "{0} frames")
    @ValueSource(ints = {0, 1, 900, WHOLE})
    void stacksUpToTheLimitAreKeptWhole(int pushed) {
        RawThreadStack t = push(pushed);
        t.cutMiddle(MARKER);
        assertEquals(pushed, t.depth);
        assertEquals(0, t.omitted());
        for (int i = 0; i < pushed; i++) {
            assertEquals(i, t.lines[i]);
            assertSame(CODE, t.codes[i]);
        }
        if (pushed > 0) {
            assertTrue(t.entries[pushed - 1], "the outermost frame stays marked as entered from C");
        }
    }

    @ParameterizedTest(name = "{0} frames")
    @ValueSource(ints = {WHOLE + 1, WHOLE + 2, 20_000, WHOLE + 3 * RawThreadStack.KEPT_OUTER, WHOLE + 5 * RawThreadStack.KEPT_OUTER + 17})
    void deeperStacksKeepBothEndsInOrderAroundOneMarker(int pushed) {
        RawThreadStack t = push(pushed);
        assertEquals(pushed - WHOLE, t.omitted());
        t.cutMiddle(MARKER);
        assertEquals(RawThreadStack.MAX_FRAMES, t.depth);
        for (int i = 0; i < RawThreadStack.KEPT_INNER; i++) {
            assertEquals(i, t.lines[i], "innermost frame " + i);
        }
        assertSame(MARKER, t.codes[RawThreadStack.KEPT_INNER]);
        assertEquals(0, t.frameAddresses[RawThreadStack.KEPT_INNER]);
        for (int k = 0; k < RawThreadStack.KEPT_OUTER; k++) {
            int i = RawThreadStack.KEPT_INNER + 1 + k;
            int expected = pushed - RawThreadStack.KEPT_OUTER + k;
            assertEquals(expected, t.lines[i], "outer frame " + k);
            assertEquals(0x10_0000L + expected, t.frameAddresses[i]);
            assertEquals(expected == pushed - 1, t.entries[i], "only the root is marked as entered from C");
        }
        assertFalse(t.entries[0]);
    }

    /** Pushes frames 0..n-1 (innermost first) and marks the last as entered from C, as a walk does. */
    private static RawThreadStack push(int n) {
        RawThreadStack t = new RawThreadStack();
        t.clear();
        for (int i = 0; i < n; i++) {
            t.push(CODE, i, 0x10_0000L + i, false);
        }
        t.markLastAsEntry();
        return t;
    }
}
