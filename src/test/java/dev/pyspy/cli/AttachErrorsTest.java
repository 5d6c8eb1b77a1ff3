package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Bad targets get one clear line on stderr and their documented exit code. */
@NeedsRoot
class AttachErrorsTest {

    private static void assertOneLineError(PyspyCli.Result r, int code, String mentions) {
        assertEquals(code, r.exitCode(), r.toString());
        assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
        assertTrue(r.stderr().contains(mentions), r.stderr());
        assertFalse(r.stderr().contains("Exception"), r.stderr());
    }

    /** The commands that attach to a pid: each must give the same documented exit codes. */
    private static final String[][] ATTACHING = {{"dump"}, {"record", "-d", "1", "-o", "/tmp/pyspy-attach-error.svg"},
            {"top"}};

    @Test
    void aPidWithNoProcessExitsWith3() throws Exception {
        for (String[] cmd : ATTACHING) {
            assertOneLineError(PyspyCli.run(with(cmd, "-p", "999999999")), 3, "999999999");
        }
    }

    @Test
    void aProcessThatIsNotPythonExitsWith5() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            for (String[] cmd : ATTACHING) {
                assertOneLineError(PyspyCli.run(with(cmd, "-p", Long.toString(sleep.pid()))), 5, "Python");
            }
        } finally {
            sleep.destroyForcibly();
        }
    }

    @Test
    void aKernelThreadIsNotPythonAndExitsWith5() throws Exception {
        int kernelThread;
        try (var pids = Files.list(Path.of("/proc"))) {
            kernelThread = pids.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+"))
                    .mapToInt(Integer::parseInt).filter(dev.pyspy.process.ProcFs::isKernelThread).min().orElse(0);
        }
        assumeTrue(kernelThread != 0, "no kernel thread visible in this PID namespace");
        for (String[] cmd : ATTACHING) {
            assertOneLineError(PyspyCli.run(with(cmd, "-p", Integer.toString(kernelThread))), 5, "kernel thread");
        }
    }

    /** Root refused (here: without CAP_SYS_PTRACE, reading a process that has it) must not be told to run as root. */
    @Test
    void rootRefusedIsToldWhatReallyFailed() throws Exception {
        assumeTrue(dev.pyspy.process.LibC.geteuid() == 0, "needs root");
        assumeTrue(new File("/usr/bin/setpriv").canExecute(), "setpriv (util-linux) not installed");
        Path scripts = TargetProcess.scripts("sleep_target.py");
        try (TargetProcess target = TargetProcess.start(Interpreters.host().get(0), scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            for (String[] command : new String[][]{{"dump"}, {"record", "-d", "1", "-o", "/tmp/pyspy-no-ptrace.svg"}}) {
                List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set=-sys_ptrace",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                        System.getProperty("java.class.path"), "dev.pyspy.cli.Main"));
                cmd.addAll(List.of(command));
                cmd.addAll(List.of("-p", Integer.toString(target.pid())));
                Process p = new ProcessBuilder(cmd).start();
                p.getOutputStream().close();
                String err = new String(p.getErrorStream().readAllBytes());
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                String what = String.join(" ", command) + ": " + err;
                assertEquals(4, p.exitValue(), what);
                assertEquals(1, err.strip().lines().count(), what);
                assertTrue(err.contains("runs as root but without CAP_SYS_PTRACE"), what);
                assertFalse(err.contains("run pyspy as root"), what);
            }
        }
    }

    @Test
    void aZombieExitsWith3() throws Exception {
        // the child exits at once and its parent never reaps it: it stays a zombie (a shell could
        // reap it before exec'ing, so the parent is Python)
        Process parent = new ProcessBuilder("python3", "-c", "import os, sys, time\n"
                + "pid = os.fork()\n"
                + "if pid == 0: os._exit(0)\n"
                + "print(pid); sys.stdout.flush(); time.sleep(60)").start();
        try {
            String pid = new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream())).readLine().strip();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (TargetProcess.state(Long.parseLong(pid)) != 'Z' && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals('Z', TargetProcess.state(Long.parseLong(pid)));
            for (String[] cmd : ATTACHING) {
                assertOneLineError(PyspyCli.run(with(cmd, "-p", pid)), 3, "zombie");
            }
        } finally {
            parent.destroyForcibly();
        }
    }

    /**
     * A Python whose version pyspy does not support: a copy of a static Python (Debian's) whose
     * {@code Py_Version} (only informational to the interpreter, pyspy's first source of the
     * version) says 3.5.5.
     */
    @Test
    void aPythonOfAnUnsupportedVersionExitsWith6() throws Exception {
        Interpreter python = Interpreters.staticPython3();
        Path debian = python.path();
        Path dir = Files.createTempDirectory("pyspy-unsupported");
        Path copy = dir.resolve(debian.getFileName().toString());
        Files.copy(debian, copy);
        dev.pyspy.process.ElfFile elf = dev.pyspy.process.ElfFile.open(copy);
        dev.pyspy.process.ElfFile.Symbol sym = elf.symbol("Py_Version").orElseThrow();
        dev.pyspy.process.ElfFile.Section section = elf.sections().get(sym.sectionIndex());
        long offset = sym.value() - section.address() + section.offset();
        try (var file = java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
            var hex = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, 0x030505f0);
            file.write(hex, offset);
        }
        Path scripts = TargetProcess.scripts("sleep_target.py");
        try (TargetProcess target = TargetProcess.start(new Interpreter(python.majorMinor(), copy, List.of()),
                scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            for (String[] cmd : ATTACHING) {
                assertOneLineError(PyspyCli.run(with(cmd, "-p", Integer.toString(target.pid()))), 6, "3.5.5");
            }
            // and in launch mode the program is left running: it is not pyspy's to end (issue 16)
            Path marker = scripts.resolve("still-running");
            PyspyCli.Result r = PyspyCli.run("record", "-o", scripts.resolve("x.svg").toString(), "--", copy.toString(),
                    "-c", "import time, sys; time.sleep(2); open(sys.argv[1], 'w')", marker.toString());
            assertOneLineError(r, 6, "3.5.5");
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(marker) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(marker), "the launched program ran on to its end");
        }
    }

    private static String[] with(String[] cmd, String... more) {
        List<String> all = new ArrayList<>(List.of(cmd));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void withoutPtracePermissionTheErrorSaysWhatToChange() throws Exception {
        assumeTrue(new File("/usr/bin/setpriv").canExecute(), "setpriv (util-linux) not installed");
        Interpreter python = Interpreters.hostPython3();
        Path scripts = TargetProcess.scripts("sleep_target.py");
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            for (String[] command : new String[][]{{"dump"}, {"dump", "--nonblocking"}, {"record", "-d", "1", "-o",
                    "/tmp/pyspy-unprivileged.svg"}, {"record", "--nonblocking", "-d", "1", "-o", "/tmp/pyspy-unprivileged.svg"},
                    {"top"}}) {
                List<String> cmd = PyspyCli.asNobody(with(command, "-p", Integer.toString(target.pid())));
                Process p = new ProcessBuilder(cmd).directory(new File("/tmp")).start();
                p.getOutputStream().close();
                String err = new String(p.getErrorStream().readAllBytes());
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                String what = String.join(" ", command) + ": " + err;
                assertEquals(4, p.exitValue(), what);
                assertEquals(1, err.strip().lines().count(), what);
                assertTrue(err.contains("CAP_SYS_PTRACE") && err.contains("ptrace_scope"), what);
                assertFalse(err.contains("Exception"), what);
            }
        }
    }

    @Test
    void aProcessWhoseExecutableWasDeletedCanStillBeDumped() throws Exception {
        Interpreter python = Interpreters.staticPython3();
        Path debian = python.path();
        Path dir = Files.createTempDirectory("pyspy-deleted");
        Path copy = dir.resolve(debian.getFileName().toString());
        Files.copy(debian, copy);
        Path scripts = TargetProcess.scripts("stacks_target.py", "unicode_target.py");
        try (TargetProcess target = TargetProcess.start(new Interpreter(python.majorMinor(), copy, List.of()),
                scripts.resolve("stacks_target.py"))) {
            target.truth(30);
            Files.delete(copy);
            PyspyCli.Result r = PyspyCli.run("dump", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stdout().contains("\"recursive\""), r.stdout());
            assertTrue(r.stdout().contains("    park_forever (stacks_target.py:23)"), r.stdout());
        }
    }
}
