package dev.pyspy.python.opcodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.pyspy.python.LayoutData;
import org.junit.jupiter.api.Test;

/**
 * The opcode tables bundled with pyspy: one for every minor version it has a layout for, and the
 * labels made from them. The numbers are what each interpreter's own {@code dis.opmap} (or
 * {@code opcode._specialized_opmap}) says.
 */
class OpcodeTableTest {

    @Test
    void everyVersionWithALayoutHasAnOpcodeTable() {
        for (String table : LayoutData.BUNDLED.tables()) {
            String majorMinor = table.endsWith("t") ? table.substring(0, table.length() - 1) : table;
            assertNotNull(OpcodeTable.forVersion(majorMinor), "no opcode table for " + table);
        }
    }

    @Test
    void plainOpcodesAreTheirNames() {
        assertEquals("BINARY_SUBSCR", OpcodeTable.forVersion("2.7").label(25));
        assertEquals("LOAD_ATTR", OpcodeTable.forVersion("2.7").label(106));
        assertEquals("BINARY_SUBSCR", OpcodeTable.forVersion("3.10").label(25));
        assertEquals("LOAD_ATTR", OpcodeTable.forVersion("3.12").label(106));
        assertEquals("BINARY_SUBSCR", OpcodeTable.forVersion("3.13").label(5));
    }

    @Test
    void specialisedOpcodesShowTheirFamilyInBrackets() {
        assertEquals("BINARY_SUBSCR_DICT [BINARY_SUBSCR]", OpcodeTable.forVersion("3.11").label(18));
        assertEquals("BINARY_SUBSCR_ADAPTIVE [BINARY_SUBSCR]", OpcodeTable.forVersion("3.11").label(17));
        assertEquals("BINARY_SUBSCR_DICT [BINARY_SUBSCR]", OpcodeTable.forVersion("3.12").label(19));
        assertEquals("BINARY_SUBSCR_DICT [BINARY_SUBSCR]", OpcodeTable.forVersion("3.13").label(157));
        assertEquals("BINARY_OP_SUBSCR_DICT [BINARY_OP]", OpcodeTable.forVersion("3.14").label(135));
        assertEquals("BINARY_OP_SUBSCR_DICT [BINARY_OP]", OpcodeTable.forVersion("3.15").label(135));
    }

    /** dump's JSON splits a label into its opcode and family: every opcode of every table. */
    @Test
    void aLabelSplitsIntoItsOpcodeAndFamily() {
        assertEquals("BINARY_SUBSCR_DICT", OpcodeTable.opcodeOf("BINARY_SUBSCR_DICT [BINARY_SUBSCR]"));
        assertEquals("BINARY_SUBSCR", OpcodeTable.familyOf("BINARY_SUBSCR_DICT [BINARY_SUBSCR]"));
        assertEquals("CALL_FUNCTION", OpcodeTable.opcodeOf("CALL_FUNCTION"));
        assertEquals("CALL_FUNCTION", OpcodeTable.familyOf("CALL_FUNCTION"));
        for (String version : new String[] {"2.7", "3.6", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"}) {
            OpcodeTable t = OpcodeTable.forVersion(version);
            for (int op = 0; op < 256; op++) {
                String label = t.label(op);
                String opcode = OpcodeTable.opcodeOf(label);
                String family = OpcodeTable.familyOf(label);
                assertEquals(label, opcode.equals(family) ? opcode : opcode + " [" + family + "]", version + " " + op);
                if (!label.startsWith("<")) {
                    assertEquals(op, t.number(opcode), version + " " + label);
                }
            }
        }
    }

    @Test
    void cacheUnitsFollowTheFamilyAndCallersRestOnTheLastOneOnlyIn311And312() {
        OpcodeTable t311 = OpcodeTable.forVersion("3.11");
        OpcodeTable t312 = OpcodeTable.forVersion("3.12");
        assertEquals(4, t311.caches(t311.number("CALL")));
        assertEquals(3, t312.caches(t312.number("CALL")));
        assertEquals(3, t312.caches(t312.number("CALL_PY_EXACT_ARGS")), "a specialised CALL keeps CALL's caches");
        assertEquals(9, t312.caches(t312.number("LOAD_ATTR")));
        assertEquals(0, t312.caches(t312.number("RESUME")));
        assertEquals(0, OpcodeTable.forVersion("3.10").caches(131), "no caches before 3.11");
        assertEquals(true, t311.callerAtLastCache());
        assertEquals(true, t312.callerAtLastCache());
        for (String v : new String[] {"2.7", "3.10", "3.13", "3.14", "3.15"}) {
            assertEquals(false, OpcodeTable.forVersion(v).callerAtLastCache(), v);
        }
    }

    @Test
    void aByteNoOpcodeHasIsShownAsItsNumberAndLabelsAreMadeOnce() {
        OpcodeTable t = OpcodeTable.forVersion("3.12");
        assertEquals("<255>", OpcodeTable.forVersion("2.7").label(255));
        assertSame(t.label(19), t.label(19), "looked up, not made per call");
        assertEquals(t.label(19), t.label(19 + 256), "a byte");
    }

    @Test
    void aVersionWithoutATableHasNoneAndOpcodesAreRefusedForIt() {
        assertNull(OpcodeTable.forVersion("3.99"));
        dev.pyspy.PyspyException e = org.junit.jupiter.api.Assertions.assertThrows(dev.pyspy.PyspyException.class,
                () -> InstructionFrames.requireTable("3.99"));
        assertEquals(dev.pyspy.ExitCode.UNSUPPORTED_VERSION, e.exitCode());
        assertEquals("--opcodes: pyspy has no opcode table for Python 3.99 "
                + "(scripts/gen-layouts --opcodes-only writes one from a live interpreter)", e.getMessage());
    }
}
