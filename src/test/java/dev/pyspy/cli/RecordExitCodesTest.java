package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Collapsed;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How each way a recording ends maps to pyspy's exit code (README, "Exit codes"): 0 once the
 * profile is written, except that a launched program that exits by itself gives its own code; and
 * a launched program is never ended because attaching to it failed.
 */
@NeedsRoot
class RecordExitCodesTest {
    private static final int WAIT_SECONDS = 90;
    /** CPU time the sampled program spins, once pyspy samples, before it is interrupted: 0.3 s. */
    private static final long SPIN_TICKS = 30;
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("sleep_target.py", "spin_target.py");
    }

    private static List<String> launch(Path out, String... pyspyArgs) {
        Interpreter python = Interpreters.hostPython3();
        List<String> args = new ArrayList<>(List.of("record", "-f", "raw", "-o", out.toString()));
        args.addAll(List.of(pyspyArgs));
        args.add("--");
        args.addAll(python.command(scripts.resolve("spin_target.py").toString(),
                scripts.resolve("truth-" + System.nanoTime() + ".json").toString(), "600"));
        return args;
    }

    @Test
    void aLaunchedProgramThatExitsWithZeroGivesZero() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        Path out = scripts.resolve("zero-" + System.nanoTime() + ".txt");
        List<String> args = new ArrayList<>(List.of("record", "-f", "raw", "-o", out.toString(), "--"));
        args.addAll(python.command("-c", "import time; time.sleep(0.5)"));
        PyspyCli.Result r = PyspyCli.run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(Files.exists(out), r.toString());
    }

    @Test
    void durationEndingALaunchedProgramGivesZero() throws Exception {
        Path out = scripts.resolve("duration-" + System.nanoTime() + ".txt");
        PyspyCli.Result r = PyspyCli.run(launch(out, "-d", "1").toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("for 1 seconds"), r.stderr());
        assertTrue(Collapsed.samplesContaining(Collapsed.read(out), "busy_loop (") > 0,
                Files.readString(out));
    }

    @Test
    void sigintEndingALaunchedRecordingGivesZero() throws Exception {
        Path out = scripts.resolve("sigint-launch-" + System.nanoTime() + ".txt");
        Path err = scripts.resolve("sigint-launch-" + System.nanoTime() + ".err");
        Process pyspy = new ProcessBuilder(PyspyCli.command(launch(out).toArray(new String[0])))
                .redirectOutput(scripts.resolve("sigint-launch.out").toFile()).redirectError(err.toFile()).start();
        awaitSampling(pyspy, err);
        awaitSpinning(pyspy, launchedSpinner(pyspy));
        PyspyCli.signal(pyspy.pid(), "INT");
        assertTrue(pyspy.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "pyspy ended after SIGINT");
        assertEquals(0, pyspy.exitValue(), Files.readString(err));
        assertTrue(Files.readString(out).contains("busy_loop ("), Files.readString(err));
    }

    /** A background job of a script starts with SIGINT ignored (POSIX); kill -INT must still end it. */
    @Test
    void sigintEndsARecordingStartedWithSigintIgnored() throws Exception {
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("spin_target.py"))) {
            target.truth(30);
            Path out = scripts.resolve("ignored-" + System.nanoTime() + ".txt");
            Path err = scripts.resolve("ignored-" + System.nanoTime() + ".err");
            Process pyspy = new ProcessBuilder(sigintIgnored(PyspyCli.command("record", "-f", "raw", "-o",
                    out.toString(), "-p", Integer.toString(target.pid()))))
                    .redirectOutput(scripts.resolve("ignored.out").toFile()).redirectError(err.toFile()).start();
            awaitSampling(pyspy, err);
            awaitSpinning(pyspy, target.pid());
            PyspyCli.signal(pyspy.pid(), "INT");
            assertTrue(pyspy.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "pyspy ended after SIGINT: " + Files.readString(err));
            assertEquals(0, pyspy.exitValue(), Files.readString(err));
            assertTrue(Files.readString(out).contains("busy_loop ("), Files.readString(err));
            assertTrue(target.process().isAlive(), "target still running");
        }
    }

    @Test
    void sigintEndsTopStartedWithSigintIgnored() throws Exception {
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("spin_target.py"))) {
            target.truth(30);
            Path out = scripts.resolve("top-ignored-" + System.nanoTime() + ".out");
            Path err = scripts.resolve("top-ignored-" + System.nanoTime() + ".err");
            Process pyspy = new ProcessBuilder(sigintIgnored(PyspyCli.command("top", "--delay", "0.5", "-p",
                    Integer.toString(target.pid()))))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            awaitText(pyspy, out, "busy_loop");
            PyspyCli.signal(pyspy.pid(), "INT");
            assertTrue(pyspy.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "top ended after SIGINT: " + Files.readString(err));
            assertEquals(0, pyspy.exitValue(), Files.readString(err));
        }
    }

    /** A program that never turns out to be Python: pyspy gives up and leaves it running. */
    @Test
    void givingUpOnAttachingLeavesTheProgramRunning() throws Exception {
        Path out = scripts.resolve("giveup-" + System.nanoTime() + ".txt");
        // not on pyspy's stdout and stderr: the test reads them until they close
        PyspyCli.Result r = PyspyCli.run(WAIT_SECONDS, "record", "-o", out.toString(), "--", "sh", "-c",
                "exec sleep 600 </dev/null >/dev/null 2>&1");
        assertEquals(5, r.exitCode(), r.toString());
        Matcher m = Pattern.compile("leaves the program running \\(pid (\\d+)\\)").matcher(r.stderr());
        assertTrue(m.find(), r.toString());
        long pid = Long.parseLong(m.group(1));
        try {
            assertTrue(ProcessHandle.of(pid).isPresent(), "program ended: " + r);
            assertTrue(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString().endsWith("sleep"),
                    r.toString());
            char state = TargetProcess.state(pid);
            assertTrue(state == 'S' || state == 'R', "program running, not stopped: " + state);
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        assertFalse(Files.exists(out), "no profile");
    }

    @Test
    void hexadecimalPidsAreAccepted() throws Exception {
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            PyspyCli.Result r = PyspyCli.run("dump", "-p", "0x" + Integer.toHexString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stdout().contains("idle_sleeper"), r.toString());
        }
        PyspyCli.Result bad = PyspyCli.runInProcess("record", "-p", "0xZZ");
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("'0xZZ' is not a process id"), bad.toString());
    }

    private static List<String> sigintIgnored(List<String> command) {
        List<String> cmd = new ArrayList<>(command);
        assertEquals("env", cmd.get(0));
        cmd.set(1, "--ignore-signal=INT");
        return cmd;
    }

    private static void awaitSampling(Process pyspy, Path err) throws IOException, InterruptedException {
        awaitText(pyspy, err, "Sampling process");
    }

    /** The spin_target.py program pyspy launched (the shell it started execs it). */
    private static long launchedSpinner(Process pyspy) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            for (ProcessHandle p : pyspy.toHandle().descendants().toList()) {
                Path cmdline = Path.of("/proc", Long.toString(p.pid()), "cmdline");
                try {
                    if (Files.readString(cmdline).contains("spin_target.py")) {
                        return p.pid();
                    }
                } catch (IOException e) {
                    // gone, or between images
                }
            }
            assertTrue(pyspy.isAlive() && System.nanoTime() < deadline, "no spin_target.py under pyspy");
            Thread.sleep(20);
        }
    }

    /**
     * Waits until the sampled program has spun (CPU time, not wall time: the machine may be busy)
     * well past its start-up, so that pyspy's ticks since found it in busy_loop.
     */
    private static void awaitSpinning(Process pyspy, long pid) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        long start = cpuTicks(pid);
        while (cpuTicks(pid) < start + SPIN_TICKS) {
            assertTrue(pyspy.isAlive() && System.nanoTime() < deadline, "the program did not spin");
            Thread.sleep(20);
        }
    }

    /** utime + stime from /proc/PID/stat, in clock ticks (1/100 s). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static void awaitText(Process pyspy, Path file, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!Files.exists(file) || !Files.readString(file).contains(text)) {
            assertTrue(pyspy.isAlive(), "pyspy ended early: " + (Files.exists(file) ? Files.readString(file) : ""));
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in " + WAIT_SECONDS + " s");
            Thread.sleep(50);
        }
    }
}
