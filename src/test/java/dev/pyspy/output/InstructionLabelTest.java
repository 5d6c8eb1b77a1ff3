package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** {@code --opcodes} labels: {@code function (file:line:column) OPCODE}, and the ones without a column or line. */
class InstructionLabelTest {

    @Test
    void anInstructionFrameNamesLineColumnAndOpcode() {
        FrameInfo f = new FrameInfo("spin", "t.py", 12, 10, "/x/t.py", 9, "BINARY_SUBSCR_DICT [BINARY_SUBSCR]");
        assertEquals("spin (t.py:12:9) BINARY_SUBSCR_DICT [BINARY_SUBSCR]", f.label());
    }

    @Test
    void beforePython311ThereIsNoColumnAndWithoutALineNeither() {
        assertEquals("spin (t.py:12) BINARY_SUBSCR", new FrameInfo("spin", "t.py", 12, 10, "t.py", 0, "BINARY_SUBSCR").label());
        assertEquals("spin (t.py) LOAD_ATTR", new FrameInfo("spin", "t.py", 0, 10, "t.py", 4, "LOAD_ATTR").label());
    }

    @Test
    void framesLabelledByLineAreAsBefore() {
        assertEquals("spin (t.py:12)", new FrameInfo("spin", "t.py", 12, 10).label());
        assertEquals("<GC>", FrameInfo.synthetic("<GC>").label());
    }

    @Test
    void twoInstructionsOfOneLineAreTwoFrames() {
        FrameInfo a = new FrameInfo("spin", "t.py", 12, 10, "t.py", 9, "LOAD_FAST");
        FrameInfo b = new FrameInfo("spin", "t.py", 12, 10, "t.py", 9, "BINARY_SUBSCR");
        FrameInfo c = new FrameInfo("spin", "t.py", 12, 10, "t.py", 5, "LOAD_FAST");
        assertNotEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(a, new FrameInfo("spin", "t.py", 12, 10, "t.py", 9, "LOAD_FAST"));
        assertEquals(a.hashCode(), new FrameInfo("spin", "t.py", 12, 10, "t.py", 9, "LOAD_FAST").hashCode());
        assertEquals("LOAD_FAST", a.withName("other").instruction(), "renaming keeps the instruction");
    }
}
