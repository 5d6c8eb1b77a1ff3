package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcFsTest {

    private static final int SELF = (int) ProcessHandle.current().pid();
    /** Above pid_max (at most 2^22), so never a live process. */
    private static final int NO_PID = 999_999_999;

    @Test
    void statStateIsFoundAfterTheLastParenEvenWhenCommHasSpacesAndParens() throws Exception {
        assertEquals('S', ProcFs.parseStatState("1234 (python3) S 1 1234 1234 0 -1 4194560"));
        assertEquals('t', ProcFs.parseStatState("77 (a b) c)) t 1 2 3"));
        assertEquals('R', ProcFs.parseStatState("5 ()) R 1 2 3\n"));
        assertEquals('Z', ProcFs.parseStatState("9 (x (y) z ) Z 0"));
    }

    @Test
    void statFieldsGiveCpuTimesAtFixedIndexes() throws Exception {
        String[] f = ProcFs.statFieldsAfterComm("1 (my prog) S 0 1 1 0 -1 4194560 100 0 0 0 250 75 0 0");
        assertEquals("S", f[0]);
        assertEquals("250", f[11]);
        assertEquals("75", f[12]);
    }

    @Test
    void malformedStatLinesAreRejected() {
        assertThrows(PyspyException.class, () -> ProcFs.parseStatState("garbage"));
        assertThrows(PyspyException.class, () -> ProcFs.parseStatState("1 (comm)"));
        assertThrows(PyspyException.class, () -> ProcFs.parseStatState("1 (comm) SS 1"));
    }

    @Test
    void cmdlineSplitsOnNulWithoutATrailingEmptyArgument() {
        assertEquals(List.of("python3", "-c", "print('a b')", ""),
                ProcFs.parseCmdline("python3\0-c\0print('a b')\0\0".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("rewritten argv"), ProcFs.parseCmdline("rewritten argv".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), ProcFs.parseCmdline(new byte[0]));
    }

    @Test
    void describesTheRunningJvm() throws Exception {
        assertTrue(ProcFs.exists(SELF));
        assertFalse(ProcFs.isZombie(SELF));
        assertTrue(ProcFs.exePath(SELF).endsWith("/java"), ProcFs.exePath(SELF));
        assertFalse(ProcFs.cmdline(SELF).isEmpty());
        assertTrue(ProcFs.commandLine(SELF).contains(" "));
        assertEquals(LibC.getuid(), ProcFs.uid(SELF));
        assertEquals(0, ProcFs.tracerPid(SELF));
        assertTrue(ProcFs.cpuTicks(SELF) > 0);
    }

    @Test
    void listsThreadsOfTheJvmWithTheirStates() throws Exception {
        int[] tids = ProcFs.threadIds(SELF);
        assertTrue(tids.length > 5);
        assertEquals(SELF, tids[0], "main thread id equals the pid and sorts first");
        Map<Integer, Character> states = ProcFs.threadStates(SELF);
        assertTrue(states.size() > 5);
        for (char s : states.values()) {
            assertTrue("RSDIT".indexOf(s) >= 0, "state " + s);
        }
        // This thread is running while it reads its own state.
        int myTid = LibC.gettid();
        assertEquals('R', ProcFs.threadState(SELF, myTid));
    }

    @Test
    void missingProcessesMapToNoSuchProcess() {
        assertFalse(ProcFs.exists(NO_PID));
        PyspyException e = assertThrows(PyspyException.class, () -> ProcFs.cmdline(NO_PID));
        assertEquals(ExitCode.NO_SUCH_PROCESS, e.exitCode());
        assertEquals("no process with pid " + NO_PID, e.getMessage());
        assertEquals(ExitCode.NO_SUCH_PROCESS, assertThrows(PyspyException.class, () -> ProcFs.threadIds(NO_PID)).exitCode());
        assertEquals(ExitCode.NO_SUCH_PROCESS, assertThrows(PyspyException.class, () -> ProcFs.exePath(NO_PID)).exitCode());
        assertEquals(ExitCode.NO_SUCH_PROCESS, assertThrows(PyspyException.class, () -> ProcFs.threadState(SELF, NO_PID)).exitCode());
        assertEquals(ExitCode.NO_SUCH_PROCESS, assertThrows(PyspyException.class, () -> ProcMaps.read(NO_PID)).exitCode());
    }

    @Test
    void rootPathPointsIntoTheProcessRoot() {
        Path p = ProcFs.rootPath(SELF, "/etc/hostname");
        assertEquals(Path.of("/proc/" + SELF + "/root/etc/hostname"), p);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        assertTrue(Files.exists(ProcFs.rootPath(SELF, java)), java);
    }

    @Test
    void deletedExecutableAndDeletedMappedFileAreStillOpenable() throws Exception {
        Interpreter python = Interpreters.staticPython3();
        Path dir = TargetProcess.scripts("deleted_mapping.py");
        Path exe = dir.resolve("python-copy");
        Files.copy(python.path(), exe, StandardCopyOption.COPY_ATTRIBUTES);
        Path data = dir.resolve("mapped.bin");
        Interpreter copy = new Interpreter(python.majorMinor(), exe, List.of());
        try (TargetProcess child = TargetProcess.start(copy, dir.resolve("deleted_mapping.py"), data.toString())) {
            int pid = child.pid();
            child.awaitReady();
            Files.delete(exe);

            assertTrue(ProcFs.exePath(pid).endsWith(" (deleted)"), ProcFs.exePath(pid));
            assertEquals(ProcFs.procPath(pid, "exe"), ProcFs.executableFile(pid));
            assertTrue(ElfFile.open(ProcFs.executableFile(pid)).dynamicSymbol("_PyRuntime").isPresent());

            List<MemoryMapping> maps = ProcMaps.read(pid);
            MemoryMapping exeMapping = maps.stream().filter(m -> m.path().equals(exe.toString())).findFirst().orElseThrow();
            assertTrue(exeMapping.deleted());
            assertEquals(ProcFs.procPath(pid, "exe"), ProcFs.openableFile(pid, exeMapping));

            MemoryMapping dataMapping = maps.stream().filter(m -> m.path().equals(data.toString())).findFirst().orElseThrow();
            assertTrue(dataMapping.deleted());
            Path viaMapFiles = ProcFs.openableFile(pid, dataMapping);
            assertEquals(ProcFs.procPath(pid, "map_files", dataMapping.rangeName()), viaMapFiles);
            byte[] head = new byte[26];
            try (var in = Files.newInputStream(viaMapFiles)) {
                assertEquals(26, in.readNBytes(head, 0, 26));
            }
            assertEquals("pyspy mapped file contents", new String(head, StandardCharsets.US_ASCII));

            MemoryMapping libc = maps.stream().filter(m -> m.fileName().startsWith("libc.so")).findFirst().orElseThrow();
            assertEquals(ProcFs.rootPath(pid, libc.path()), ProcFs.openableFile(pid, libc));
        }
    }

    @Test
    void threadIdsOfAChildAreAscendingAndStartWithItsPid() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        Path script = TargetProcess.scripts("sleeping_threads.py").resolve("sleeping_threads.py");
        try (TargetProcess child = TargetProcess.start(python, script)) {
            child.awaitReady();
            int[] tids = ProcFs.threadIds(child.pid());
            assertEquals(4, tids.length);
            assertEquals(child.pid(), tids[0]);
            int[] sorted = tids.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(sorted, tids);
            assertEquals(List.of(python.path().toString(), script.toString()), ProcFs.cmdline(child.pid()).subList(0, 2));
            for (char s : ProcFs.threadStates(child.pid()).values()) {
                assertEquals('S', s);
            }
        }
    }
}
