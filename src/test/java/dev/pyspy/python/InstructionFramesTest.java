package dev.pyspy.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.python.opcodes.InstructionFrames;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --opcodes} on a walk's stacks (3.12's layout and opcodes): each frame relabelled by the opcode
 * at its instruction, read live; the walk's own frames and stack version put back afterwards.
 */
class InstructionFramesTest {
    private static final long INSTRUCTION = 0x7000;
    /** 3.12's BINARY_SUBSCR_DICT and BINARY_SUBSCR ({@code dis._all_opmap}). */
    private static final int SUBSCR_DICT = 19;
    private static final int SUBSCR = 25;
    /** One location entry, short form 1, four code units: columns from 8 + 1 = 9 (0-based). */
    private static final byte[] TABLE = {(byte) (0x80 | 1 << 3 | 3), 1 << 4 | 2};

    /** Bytes at chosen addresses; anything else is unreadable. */
    private static final class Bytes implements ProcessMemory {
        final Map<Long, Byte> bytes = new HashMap<>();
        long calls;

        @Override
        public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            calls++;
            dst.clear();
            for (int i = 0; i < length; i++) {
                Byte b = bytes.get(address + i);
                if (b == null) {
                    throw new MemoryReadException(String.format("0x%x unreadable", address + i));
                }
                dst.put(i, b);
            }
            dst.limit(length);
        }

        @Override
        public long readCalls() {
            return calls;
        }
    }

    private Bytes memory;
    private InstructionFrames frames;
    private RawStacks walk;
    private CodeInfo code;
    private RawThreadStack t;

    @BeforeEach
    void walkOneThread() throws Exception {
        memory = new Bytes();
        Layout layout = LayoutData.BUNDLED.table("3.12");
        PyObjects objects = new PyObjects(memory, layout, PythonVersion.of(3, 12, 1));
        CodeCache codes = new CodeCache(memory, layout, objects, new ShortFilenames(Path.of("/"), Path.of("/")), 0);
        frames = InstructionFrames.of("3.12", memory, layout, objects, codes);
        code = new CodeInfo(codes.newId(), 0x5000, "spin", "/x/t.py", "t.py", 10, TABLE, CodeInfo.LineFormat.LOCATION_TABLE);
        walk = new RawStacks();
        t = walk.next();
        t.push(code, 12, 0x9000, true, 2, INSTRUCTION);
        t.push(codes.marker("<task main>"), 0, 0, true);
        t.stackVersion = 42;
    }

    @Test
    void aFrameIsLabelledByTheOpcodeAtItsInstructionAndPutBackAfter() {
        memory.bytes.put(INSTRUCTION, (byte) SUBSCR_DICT);
        frames.label(walk);
        CodeInfo labelled = t.codes[0];
        assertEquals("BINARY_SUBSCR_DICT [BINARY_SUBSCR]", labelled.instruction());
        assertEquals(10, labelled.column(), "1-based");
        assertEquals("spin", labelled.name());
        assertEquals("/x/t.py", labelled.filename());
        assertEquals(12, t.lines[0], "the line stays");
        assertEquals("<task main>", t.codes[1].name(), "a marker stays as it is");
        assertEquals(0, t.stackVersion, "the consumers derive nothing from the decode's version");
        frames.restore(walk);
        assertSame(code, t.codes[0]);
        assertEquals(42, t.stackVersion);
    }

    @Test
    void theOpcodeIsReadLiveAndEachLabelIsMadeOnce() {
        memory.bytes.put(INSTRUCTION, (byte) SUBSCR_DICT);
        frames.label(walk);
        CodeInfo first = t.codes[0];
        frames.restore(walk);
        memory.bytes.put(INSTRUCTION, (byte) SUBSCR);
        frames.label(walk);
        assertEquals("BINARY_SUBSCR", t.codes[0].instruction(), "the interpreter rewrote the instruction");
        assertNotSame(first, t.codes[0]);
        frames.restore(walk);
        memory.bytes.put(INSTRUCTION, (byte) SUBSCR_DICT);
        frames.label(walk);
        assertSame(first, t.codes[0], "interned per (code, instruction, opcode)");
        frames.restore(walk);
    }

    @Test
    void anUnreadableInstructionLeavesTheFrameAsDecoded() {
        frames.label(walk);
        assertSame(code, t.codes[0]);
        frames.restore(walk);
        assertSame(code, t.codes[0]);
        assertEquals(42, t.stackVersion);
    }

    /**
     * 3.12: a frame that pushed its callee itself rests on its call's last cache unit (whose bytes are
     * cache data, not an opcode); it is labelled by the call, found by walking the code's bytecode
     * with each family's cache units. A frame whose callee was entered from C rests on the call.
     */
    @Test
    void aCallerIsLabelledByItsCallNotByTheCacheUnitItRestsOn() throws Exception {
        Layout layout = LayoutData.BUNDLED.table("3.12");
        dev.pyspy.python.opcodes.OpcodeTable ops = dev.pyspy.python.opcodes.OpcodeTable.forVersion("3.12");
        long caller = 0x6000;
        // RESUME; LOAD_GLOBAL + 4 caches; CALL_PY_EXACT_ARGS (a specialised CALL) + 3 caches; RETURN_VALUE
        int[] units = {ops.number("RESUME"), ops.number("LOAD_GLOBAL"), 0, 0, 0, 0, ops.number("CALL_PY_EXACT_ARGS"),
                0x11, 0x22, SUBSCR, ops.number("RETURN_VALUE")};
        long bytecode = caller + layout.offset("PyCodeObject.co_code_adaptive");
        for (int i = 0; i < units.length; i++) {
            memory.bytes.put(bytecode + 2L * i, (byte) units[i]);
            memory.bytes.put(bytecode + 2L * i + 1, (byte) 0);
        }
        long size = caller + layout.offset("PyVarObject.ob_size");
        for (int i = 0; i < 8; i++) {
            memory.bytes.put(size + i, (byte) (i == 0 ? units.length : 0));
        }
        CodeInfo callerCode = new CodeInfo(7777, caller, "main", "/x/t.py", "t.py", 20, TABLE,
                CodeInfo.LineFormat.LOCATION_TABLE);
        memory.bytes.put(INSTRUCTION, (byte) SUBSCR_DICT);
        RawStacks stacks = new RawStacks();
        RawThreadStack s = stacks.next();
        s.push(code, 12, 0x9000, false, 2, INSTRUCTION);
        s.push(callerCode, 21, 0x9100, true, 9, bytecode + 2L * 9);
        frames.label(stacks);
        assertEquals("BINARY_SUBSCR_DICT [BINARY_SUBSCR]", s.codes[0].instruction(), "the innermost frame as it is");
        assertEquals("CALL_PY_EXACT_ARGS [CALL]", s.codes[1].instruction());
        frames.restore(stacks);

        RawStacks fromC = new RawStacks();
        RawThreadStack c = fromC.next();
        c.push(code, 12, 0x9000, true, 2, INSTRUCTION);
        c.push(callerCode, 21, 0x9100, true, 6, bytecode + 2L * 6);
        frames.label(fromC);
        assertEquals("CALL_PY_EXACT_ARGS [CALL]", c.codes[1].instruction(), "entered from C: at the call itself");
        frames.restore(fromC);
    }

    @Test
    void synthesisedLeavesAddedAfterTheLabelComeOffBeforeTheRestore() {
        memory.bytes.put(INSTRUCTION, (byte) SUBSCR_DICT);
        frames.label(walk);
        t.addLeaf(new CodeInfo(99, 0, "<GC>", null, null, 0, new byte[0], CodeInfo.LineFormat.LOCATION_TABLE));
        assertEquals("BINARY_SUBSCR_DICT [BINARY_SUBSCR]", t.codes[1].instruction());
        t.removeLeaves();
        frames.restore(walk);
        assertSame(code, t.codes[0]);
        assertEquals(2, t.depth);
    }
}
