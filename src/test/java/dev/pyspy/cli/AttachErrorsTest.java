package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Bad targets get one clear line on stderr and their documented exit code. */
class AttachErrorsTest {

    private static void assertOneLineError(PyspyCli.Result r, int code, String mentions) {
        assertEquals(code, r.exitCode(), r.toString());
        assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
        assertTrue(r.stderr().contains(mentions), r.stderr());
        assertFalse(r.stderr().contains("Exception"), r.stderr());
    }

    @Test
    void aPidWithNoProcessExitsWith3() throws Exception {
        assertOneLineError(PyspyCli.run("dump", "-p", "999999999"), 3, "999999999");
    }

    @Test
    void aProcessThatIsNotPythonExitsWith5() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            assertOneLineError(PyspyCli.run("dump", "-p", Long.toString(sleep.pid())), 5, "Python");
        } finally {
            sleep.destroyForcibly();
        }
    }

    @Test
    void aZombieExitsWith3() throws Exception {
        // The parent forks a child that exits at once and never reaps it: the child stays a zombie.
        // (A shell is no good here: it may reap its background job before exec-ing.)
        Process parent = new ProcessBuilder("/usr/bin/python3", "-c",
                "import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\n"
                        + "print(pid)\nsys.stdout.flush()\ntime.sleep(60)").start();
        try {
            String pid = new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream())).readLine().strip();
            Thread.sleep(300);
            assertEquals('Z', TargetProcess.state(Long.parseLong(pid)));
            assertOneLineError(PyspyCli.run("dump", "-p", pid), 3, "zombie");
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void withoutPtracePermissionTheErrorSaysWhatToChange() throws Exception {
        assumeTrue(new File("/usr/bin/setpriv").canExecute(), "setpriv (util-linux) not installed");
        Interpreter python = Interpreters.host().get(Interpreters.host().size() - 1);
        Path scripts = TargetProcess.scripts("sleep_target.py");
        // The unprivileged JVM needs a classpath it can read: copy it somewhere world-readable.
        Path cpDir = Files.createTempDirectory("pyspy-cp");
        Files.setPosixFilePermissions(cpDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(entry);
            Path dst = cpDir.resolve(i++ + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                new ProcessBuilder("cp", "-r", src.toString(), dst.toString()).start().waitFor();
            } else if (Files.exists(src)) {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
            entries.add(dst.toString());
        }
        new ProcessBuilder("chmod", "-R", "a+rX", cpDir.toString()).start().waitFor();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    String.join(File.pathSeparator, entries), "dev.pyspy.cli.Main", "dump", "-p",
                    Integer.toString(target.pid())));
            Process p = new ProcessBuilder(cmd).start();
            String err = new String(p.getErrorStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(4, p.exitValue(), err);
            assertEquals(1, err.strip().lines().count(), err);
            assertTrue(err.contains("CAP_SYS_PTRACE") && err.contains("ptrace_scope"), err);
        }
    }

    @Test
    void aProcessWhoseExecutableWasDeletedCanStillBeDumped() throws Exception {
        Path debian = Path.of("/usr/bin/python3.11");
        assumeTrue(Files.isExecutable(debian), "Debian's static python3.11 is not installed");
        Path dir = Files.createTempDirectory("pyspy-deleted");
        Path copy = dir.resolve("python3.11");
        Files.copy(debian, copy);
        Path scripts = TargetProcess.scripts("stacks_target.py", "unicode_target.py");
        try (TargetProcess target = TargetProcess.start(new Interpreter("3.11", copy, List.of()),
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
