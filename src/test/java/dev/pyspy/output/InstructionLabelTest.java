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
    void speedscopeNamesTheInstructionAndGivesTheColumn() throws Exception {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 3, new FrameInfo("spin", "t.py", 12, 10, "/x/t.py", 9, "BINARY_SUBSCR_DICT [BINARY_SUBSCR]"),
                new FrameInfo("spin", "t.py", 12, 10, "/x/t.py", 0, "LOAD_FAST"));
        com.fasterxml.jackson.databind.JsonNode frames = SpeedscopeWriterTest.write(p).path("shared").path("frames");
        assertEquals("spin BINARY_SUBSCR_DICT [BINARY_SUBSCR]", frames.get(0).get("name").asText());
        assertEquals(9, frames.get(0).get("col").asInt());
        assertEquals(12, frames.get(0).get("line").asInt());
        assertEquals("spin LOAD_FAST", frames.get(1).get("name").asText());
        assertEquals(true, frames.get(1).get("col").isNull(), "no column: null, as py-spy writes");
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
