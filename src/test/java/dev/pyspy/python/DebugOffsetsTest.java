package dev.pyspy.python;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading a target's {@code _Py_DebugOffsets} (3.13+) from a synthetic struct laid out with the
 * committed map for 3.15: entries become the walker's keys, offsets must fit the sizes the target
 * declares, free-threaded-only entries are ignored when 0, and missing fields are named.
 */
class DebugOffsetsTest {
    private static final long RUNTIME = 0x10000;
    private static final PythonVersion V315 = PythonVersion.of(3, 15, 0);

    /** A target memory holding only the debug struct at RUNTIME. */
    private static final class FakeTarget implements ProcessMemory {
        final ByteBuffer struct;

        FakeTarget(int size) {
            struct = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            if (address < RUNTIME || address + length > RUNTIME + struct.capacity()) {
                throw new MemoryReadException("unmapped 0x" + Long.toHexString(address));
            }
            dst.clear();
            dst.put(struct.array(), (int) (address - RUNTIME), length);
            dst.flip();
        }

        @Override
        public long readCalls() {
            return 0;
        }
    }

    /** Every section size 4096, every other entry its own index * 8 (inside any section), cookie and version set. */
    private static FakeTarget plausible315() {
        Layout map = LayoutData.BUNDLED.debugOffsetsMap(V315);
        FakeTarget t = new FakeTarget(map.offsetOr("sizeof", 0));
        int i = 1;
        for (Map.Entry<String, Long> e : map.values().entrySet()) {
            if (!e.getKey().equals("sizeof")) {
                t.struct.putLong((int) (long) e.getValue(), e.getKey().endsWith(".size") ? 4096 : 8L * i++ % 4000);
            }
        }
        t.struct.put(0, "xdebugpy".getBytes(StandardCharsets.US_ASCII));
        t.struct.putLong(8, 0x030F00F0L);
        t.struct.putLong(map.offsetOr("free_threaded", -1), 0);
        // the GIL's fields lie inside the interpreter's embedded GIL struct
        t.struct.putLong(map.offsetOr("interpreter_state.gil_runtime_state", -1), 2000);
        t.struct.putLong(map.offsetOr("interpreter_state.gil_runtime_state_locked", -1), 2008);
        t.struct.putLong(map.offsetOr("interpreter_state.gil_runtime_state_holder", -1), 2016);
        return t;
    }

    private static void set(FakeTarget t, String entry, long value) {
        t.struct.putLong(LayoutData.BUNDLED.debugOffsetsMap(V315).offsetOr(entry, -1), value);
    }

    @Test
    void entriesBecomeTheWalkersKeysOverTheTable() throws Exception {
        FakeTarget t = plausible315();
        set(t, "thread_state.current_frame", 72);
        set(t, "interpreter_state.imports_modules", 1000);
        set(t, "interpreter_frame.tlbc_index", 0);   // default build: no such field
        assertTrue(DebugOffsets.hasCookie(t, RUNTIME));
        assertEquals(0x030F00F0L, DebugOffsets.versionHex(t, RUNTIME));
        Layout l = DebugOffsets.read(LayoutData.BUNDLED, t, RUNTIME, V315, LayoutData.BUNDLED.table("3.15"));
        assertEquals(72, l.offset("PyThreadState.current_frame"));
        assertEquals(1000, l.offset("PyInterpreterState.modules"));
        assertEquals(4096, l.offset("sizeof.PyThreadState"));
        assertFalse(l.has("_PyInterpreterFrame.tlbc_index"), "0 means the build has no thread-local bytecode");
        // what the debug offsets do not describe still comes from the table
        assertEquals(LayoutData.BUNDLED.table("3.15").offset("PyModuleObject.md_dict"), l.offset("PyModuleObject.md_dict"));
        assertFalse(DebugOffsets.freeThreaded(t, RUNTIME, LayoutData.BUNDLED.debugOffsetsMap(V315)));
        set(t, "free_threaded", 1);
        assertTrue(DebugOffsets.freeThreaded(t, RUNTIME, LayoutData.BUNDLED.debugOffsetsMap(V315)));
    }

    @Test
    void anOffsetOutsideItsDeclaredSectionSizeIsRejectedByName() {
        FakeTarget t = plausible315();
        set(t, "thread_state.current_frame", 5000);
        PyspyException e = assertThrows(PyspyException.class,
                () -> DebugOffsets.read(LayoutData.BUNDLED, t, RUNTIME, V315, LayoutData.BUNDLED.table("3.15")));
        assertEquals(ExitCode.UNSUPPORTED_VERSION, e.exitCode());
        assertTrue(e.getMessage().contains("thread_state.current_frame = 5000") && e.getMessage().contains("thread_state.size = 4096"),
                e.getMessage());
    }

    @Test
    void whatNeitherTheDebugOffsetsNorATableDescribeIsNamed() throws Exception {
        Layout onlyDebug = DebugOffsets.read(LayoutData.BUNDLED, plausible315(), RUNTIME, V315, null);
        PyspyException e = assertThrows(PyspyException.class,
                () -> PythonProcess.requireWalkerKeys(PythonVersion.of(3, 15, 0), onlyDebug, null, null));
        assertEquals(ExitCode.UNSUPPORTED_VERSION, e.exitCode());
        // md_dict and the unicode data pointer are not in _Py_DebugOffsets: named, with where pyspy looked
        assertTrue(e.getMessage().contains("PyModuleObject.md_dict"), e.getMessage());
        assertTrue(e.getMessage().contains("PyUnicodeObject.data"), e.getMessage());
        assertFalse(e.getMessage().contains("PyThreadState.current_frame"), e.getMessage());
        assertTrue(e.getMessage().contains("no layout table for 3.15"), e.getMessage());
        // with the table everything is there
        PythonProcess.requireWalkerKeys(V315, DebugOffsets.read(LayoutData.BUNDLED, plausible315(), RUNTIME, V315, LayoutData.BUNDLED.table("3.15")),
                LayoutData.BUNDLED.table("3.15"), LayoutData.BUNDLED.table("3.15"));
    }

    @Test
    void aVersionWithoutAStructMapIsRefusedByName() {
        PythonVersion v = PythonVersion.of(3, 40, 0);
        PyspyException e = assertThrows(PyspyException.class, () -> DebugOffsets.read(LayoutData.BUNDLED, plausible315(), RUNTIME, v, null));
        assertTrue(e.getMessage().contains("3.40.0"), e.getMessage());
    }
}
