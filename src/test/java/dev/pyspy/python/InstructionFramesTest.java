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
