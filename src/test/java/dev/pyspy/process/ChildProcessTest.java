package dev.pyspy.process;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ChildProcessTest {

    @TempDir
    Path dir;

    private ChildProcess python(String code) throws PyspyException {
        return ChildProcess.start(List.of("python3", "-c", code), Map.of(), null, dir.resolve("out.log"));
    }

    @Test
    void exitCodeIsPropagated() throws Exception {
        try (ChildProcess c = python("import sys; sys.exit(7)")) {
            assertEquals(7, c.waitForExit());
            assertFalse(c.isAlive());
            assertEquals(Optional.of(7), c.exitCode());
            assertEquals(7, c.waitForExit(), "waiting again returns the same code");
        }
    }

    @Test
    void killedBySignalGives128PlusSignal() throws Exception {
        try (ChildProcess c = python("import time; time.sleep(600)")) {
            assertTrue(c.isAlive());
            assertEquals(Optional.empty(), c.exitCode());
            assertTrue(c.kill(LibC.SIGTERM));
            assertEquals(128 + LibC.SIGTERM, c.waitForExit());
            assertFalse(c.kill(LibC.SIGTERM), "no signal after the process was reaped");
        }
        try (ChildProcess c = python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")) {
            assertEquals(128 + LibC.SIGKILL, c.waitForExit());
        }
    }

    @Test
    void outputGoesToTheFileAndEnvironmentIsPassed() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PYSPY_TEST_VAR", "hello world");
        env.put("HOME", null);
        try (ChildProcess c = ChildProcess.start(List.of("python3", "-c",
                "import os, sys; print(os.environ['PYSPY_TEST_VAR'], 'HOME' in os.environ); "
                        + "print('err', file=sys.stderr); print(repr(sys.stdin.read()))"),
                env, null, dir.resolve("out.log"))) {
            assertEquals(0, c.waitForExit());
        }
        assertEquals("hello world False\nerr\n''\n", Files.readString(dir.resolve("out.log")));
    }

    @Test
    void programIsFoundInPathAndMissingProgramIsAnError() throws Exception {
        try (ChildProcess c = ChildProcess.start(List.of("true"), Map.of(), null, dir.resolve("o"))) {
            assertEquals(0, c.waitForExit());
        }
        PyspyException e = assertThrows(PyspyException.class,
                () -> ChildProcess.start(List.of("no-such-program-pyspy"), Map.of(), null, dir.resolve("o")));
        assertTrue(e.getMessage().contains("no-such-program-pyspy"), e.getMessage());
    }

    @Test
    void pyspysOwnDescriptorsAreNotInherited() throws Exception {
        try (ChildProcess c = python("import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))")) {
            assertEquals(0, c.waitForExit());
        }
        // 0-2 plus the descriptor listdir itself opens.
        assertEquals("[0, 1, 2, 3]\n", Files.readString(dir.resolve("out.log")));
    }

    @Test
    @NeedsRoot
    void runsAsAnotherUserThroughSetpriv() throws Exception {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Interpreter python = Interpreters.python3AnyUserMayRun();
        try (ChildProcess c = ChildProcess.start(List.of(python.path().toString(), "-c",
                "import os; print(os.getuid(), os.getgid())"), Map.of(), new ChildProcess.RunAs(65534, 65534),
                dir.resolve("out.log"))) {
            assertEquals(0, c.waitForExit(), () -> readQuietly(dir.resolve("out.log")));
        }
        assertEquals("65534 65534\n", Files.readString(dir.resolve("out.log")));
    }

    @Test
    void sudoUserIsTakenFromTheEnvironmentOnlyWhenRoot() {
        assertEquals(Optional.of(new ChildProcess.RunAs(1000, 1001)),
                ChildProcess.RunAs.fromSudo(Map.of("SUDO_UID", "1000", "SUDO_GID", "1001"), 0));
        assertEquals(Optional.empty(), ChildProcess.RunAs.fromSudo(Map.of("SUDO_UID", "1000", "SUDO_GID", "1001"), 1000));
        assertEquals(Optional.empty(), ChildProcess.RunAs.fromSudo(Map.of(), 0));
        assertEquals(Optional.empty(), ChildProcess.RunAs.fromSudo(Map.of("SUDO_UID", "0", "SUDO_GID", "0"), 0));
        assertEquals(List.of("setpriv", "--reuid", "5", "--regid", "6", "--init-groups", "--", "python3", "x.py"),
                new ChildProcess.RunAs(5, 6).wrap(List.of("python3", "x.py")));
    }

    @Test
    @NeedsRoot
    void waitForExitCanRunOnAnotherThreadWhileTheChildIsTraced() throws Exception {
        // The tracer (this thread) reaps the traced child; the waiting thread gets the status anyway.
        try (ChildProcess c = python("import time\nfor _ in range(30): time.sleep(0.01)\nraise SystemExit(3)")) {
            int[] result = {-100};
            Thread waiter = new Thread(() -> {
                try {
                    result[0] = c.waitForExit();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiter.start();
            try (ThreadPauser pauser = ThreadPauser.attach(c.pid())) {
                while (!pauser.targetExited()) {
                    pauser.interrupt();
                    pauser.resume();
                    Thread.sleep(1);
                }
            }
            waiter.join(20_000);
            assertEquals(3, result[0]);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
