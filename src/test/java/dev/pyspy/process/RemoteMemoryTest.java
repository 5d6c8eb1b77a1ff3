package dev.pyspy.process;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@NeedsRoot
class RemoteMemoryTest {

    /** bytes(range(256)) * 256: 64 KiB whose byte at offset i is i % 256. */
    private static final int DATA_LENGTH = 65536;

    private static Path scripts;
    private static TargetProcess child;
    private static long objectAddress;
    private static long dataAddress;

    /** bytes_object.py on a Python 3 whose bytes objects are laid out as 3.11's (not free-threaded). */
    private static TargetProcess startBytesTarget() throws Exception {
        return TargetProcess.start(Interpreters.hostPython3(), scripts.resolve("bytes_object.py"));
    }

    /** What bytes_object.py reports: its bytes object's address, its data's address, the length. */
    private static long[] reported(TargetProcess target) throws Exception {
        return java.util.Arrays.stream(target.awaitReady().split(" ")).mapToLong(Long::parseLong).toArray();
    }

    @BeforeAll
    static void startTarget() throws Exception {
        scripts = TargetProcess.scripts("bytes_object.py");
        child = startBytesTarget();
        long[] parts = reported(child);
        objectAddress = parts[0];
        dataAddress = parts[1];
        assertEquals(DATA_LENGTH, parts[2]);
    }

    @AfterAll
    static void stopTarget() throws Exception {
        if (child != null) {
            child.close();
        }
    }

    @Test
    void readsTheDataOfAPythonBytesObject() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            ByteBuffer buf = ByteBuffer.allocate(DATA_LENGTH);
            mem.read(dataAddress, buf, DATA_LENGTH);
            assertEquals(0, buf.position());
            assertEquals(DATA_LENGTH, buf.limit());
            assertEquals(ByteOrder.LITTLE_ENDIAN, buf.order());
            for (int i = 0; i < DATA_LENGTH; i++) {
                assertEquals((byte) i, buf.get(i));
            }
        }
    }

    @Test
    void readsTheBytesObjectHeaderLittleEndian() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            // PyBytesObject in 3.11: refcnt, type, ob_size, ob_shash, then ob_sval.
            ByteBuffer buf = ByteBuffer.allocateDirect(40);
            long before = mem.readCalls();
            mem.read(objectAddress, buf, 40);
            assertEquals(DATA_LENGTH, buf.getLong(16));
            assertEquals(dataAddress, objectAddress + 32);
            assertEquals(0x03020100, buf.getInt(32));
            assertEquals(before + 1, mem.readCalls());
        }
    }

    @Test
    void batchedReadAllEqualsSingleReadsAndUsesFewCalls() throws Exception {
        int count = 2500; // more than IOV_MAX, so at least three system calls
        Random random = new Random(7);
        long[] addresses = new long[count];
        int[] lengths = new int[count];
        ByteBuffer[] batch = new ByteBuffer[count];
        ByteBuffer slab = ByteBuffer.allocateDirect(count * 320);
        for (int i = 0; i < count; i++) {
            lengths[i] = i % 50 == 0 ? 0 : 1 + random.nextInt(300);
            addresses[i] = dataAddress + random.nextInt(DATA_LENGTH - lengths[i]);
            // heap buffers go through the staging buffer, direct ones (and slices of one) are read in place
            batch[i] = switch (i % 3) {
                case 0 -> ByteBuffer.allocate(320);
                case 1 -> ByteBuffer.allocateDirect(320);
                default -> slab.slice(i * 320, 320);
            };
        }
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            long before = mem.readCalls();
            mem.readAll(addresses, batch, lengths, count);
            mem.readAll(addresses, batch, lengths, count); // again: direct addresses now remembered
            long calls = mem.readCalls() - before;
            assertEquals(6, calls);
            for (int i = 0; i < count; i++) {
                ByteBuffer single = ByteBuffer.allocate(lengths[i]);
                mem.read(addresses[i], single, lengths[i]);
                assertEquals(lengths[i], batch[i].limit());
                assertEquals(0, batch[i].position());
                assertEquals(single, batch[i], "range " + i);
                for (int k = 0; k < lengths[i]; k++) {
                    assertEquals((byte) (addresses[i] - dataAddress + k), batch[i].get(k));
                }
            }
        }
    }

    @Test
    void nativeBufferIsReusedAndGrowsOnlyWhenNeeded() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            ByteBuffer buf = ByteBuffer.allocate(DATA_LENGTH);
            mem.read(dataAddress, buf, 100);
            var first = mem.buffer();
            for (int i = 0; i < 100; i++) {
                mem.read(dataAddress + i, buf, 1000);
            }
            assertSame(first, mem.buffer());
            mem.read(dataAddress, buf, DATA_LENGTH);
            assertTrue(mem.buffer().getByte(DATA_LENGTH - 1) == (byte) 255);
        }
    }

    @Test
    void unmappedAddressThrowsMemoryReadExceptionWithTheAddress() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            ByteBuffer buf = ByteBuffer.allocate(64);
            MemoryReadException e = assertThrows(MemoryReadException.class, () -> mem.read(0x10, buf, 8));
            assertTrue(e.getMessage().contains("0x10"), e.getMessage());
            assertEquals(ExitCode.ERROR, e.exitCode());
            assertFalse(mem.exited());
            // Still usable afterwards.
            mem.read(dataAddress, buf, 8);
        }
    }

    @Test
    void readCrossingTheEndOfAMappingIsAPartialReadFailure() throws Exception {
        List<MemoryMapping> maps = ProcMaps.read(child.pid());
        MemoryMapping edge = null;
        for (int i = 0; i + 1 < maps.size(); i++) {
            MemoryMapping m = maps.get(i);
            if (m.readable() && m.pathname().isEmpty() && maps.get(i + 1).start() != m.end()) {
                edge = m;
                break;
            }
        }
        assertTrue(edge != null, "an anonymous mapping followed by a gap");
        long address = edge.end() - 8;
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            MemoryReadException e = assertThrows(MemoryReadException.class,
                    () -> mem.read(address, ByteBuffer.allocate(16), 16));
            assertTrue(e.getMessage().contains("partial"), e.getMessage());
        }
    }

    @Test
    void readAllFailsTheRangeThatCannotBeRead() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            long[] addresses = {dataAddress, dataAddress + 100, 0x7000, dataAddress + 200};
            int[] lengths = {8, 8, 8, 8};
            ByteBuffer[] dsts = {ByteBuffer.allocate(8), ByteBuffer.allocate(8), ByteBuffer.allocate(8),
                    ByteBuffer.allocate(8)};
            MemoryReadException e = assertThrows(MemoryReadException.class,
                    () -> mem.readAll(addresses, dsts, lengths, 4));
            assertTrue(e.getMessage().contains("0x7000"), e.getMessage());
            // A batch whose first range is bad.
            long[] badFirst = {0x7000, dataAddress};
            MemoryReadException e2 = assertThrows(MemoryReadException.class,
                    () -> mem.readAll(badFirst, dsts, new int[] {8, 8}, 2));
            assertTrue(e2.getMessage().contains("0x7000"), e2.getMessage());
        }
    }

    @Test
    void tooSmallDestinationIsAProgrammingError() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open(child.pid())) {
            assertThrows(IllegalArgumentException.class, () -> mem.read(dataAddress, ByteBuffer.allocate(4), 8));
        }
    }

    @Test
    void readingAnExitedProcessThrowsProcessExited() throws Exception {
        try (TargetProcess doomed = startBytesTarget()) {
            long address = reported(doomed)[0];
            RemoteMemory mem = RemoteMemory.open(doomed.pid());
            mem.read(address, ByteBuffer.allocate(16), 16);
            doomed.kill(LibC.SIGKILL);
            doomed.waitForExit();
            MemoryReadException e = assertThrows(MemoryReadException.class,
                    () -> mem.read(address, ByteBuffer.allocate(16), 16));
            assertTrue(e.getMessage().contains("exited"), e.getMessage());
            assertTrue(mem.exited());
            PyspyException open = assertThrows(PyspyException.class, () -> RemoteMemory.open(doomed.pid()));
            assertEquals(ExitCode.NO_SUCH_PROCESS, open.exitCode());
            mem.close();
        }
    }

    @Test
    void openChecksAccessAgainstThisJvm() throws Exception {
        try (RemoteMemory mem = RemoteMemory.open((int) ProcessHandle.current().pid())) {
            assertTrue(mem.readCalls() >= 1);
        }
        assertEquals(ExitCode.NO_SUCH_PROCESS,
                assertThrows(PyspyException.class, () -> RemoteMemory.open(999_999_999)).exitCode());
    }

    @Test
    void permissionDeniedExplainsTheWaysToGetAccess() {
        PyspyException e = RemoteMemory.permissionDenied(1234);
        assertEquals(ExitCode.PERMISSION_DENIED, e.exitCode());
        assertTrue(e.getMessage().contains("1234"));
        assertTrue(e.getMessage().contains("CAP_SYS_PTRACE"));
        if (LibC.geteuid() == 0) {
            assertFalse(e.getMessage().contains("run pyspy as root"), "root is refused for another reason: " + e.getMessage());
        } else {
            assertTrue(e.getMessage().contains("run pyspy as root"));
            assertTrue(e.getMessage().contains("kernel.yama.ptrace_scope"));
        }
    }

    @Test
    void zeroLengthReadsIssueNoSystemCall() throws Exception {
        try (RemoteMemory mem = new RemoteMemory(child.pid())) {
            ByteBuffer buf = ByteBuffer.allocate(8);
            mem.read(0, buf, 0);
            assertEquals(0, buf.limit());
            assertEquals(0, mem.readCalls());
            byte[] expected = {0, 1, 2, 3};
            mem.read(dataAddress, buf, 4);
            byte[] got = new byte[4];
            buf.get(got);
            assertArrayEquals(expected, got);
        }
    }
}
