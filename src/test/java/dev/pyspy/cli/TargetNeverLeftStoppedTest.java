package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Collapsed;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetHealth;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever ends pyspy — a signal in the middle of a blocking sample, an internal error while the
 * target is paused, the target itself exiting — the target is left running: no thread in a stopped
 * state, and every thread (a worker's counter, the main thread's) keeps making progress.
 */
@Timeout(300)
@NeedsRoot
class TargetNeverLeftStoppedTest {
    /** Enough threads that a pause takes a while, so signals often land inside one. */
    private static final String THREADS = "32";
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("progress_target.py");
    }

    static Interpreter python() {
        return Interpreters.hostPython3();
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"KILL", "TERM", "INT"})
    void killedInTheMiddleOfBlockingSamplesLeavesEveryThreadRunning(String signal) throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("progress_target.py"), THREADS)) {
            target.truth(30);
            for (int round = 0; round < 3; round++) {
                Path out = scripts.resolve("sig" + signal + "-" + round + ".txt");
                Path err = scripts.resolve("sig" + signal + "-" + round + ".err");
                Process pyspy = PyspyCli.start(scripts.resolve("sig.out"), err,
                        "record", "-r", "1000", "-f", "raw", "-o", out.toString(), "-p", Integer.toString(target.pid()));
                PyspyCli.awaitSampling(pyspy, err);
                Thread.sleep(300 + ThreadLocalRandom.current().nextInt(700));
                PyspyCli.signal(pyspy.pid(), signal);
                assertTrue(pyspy.waitFor(60, TimeUnit.SECONDS), "pyspy ended after SIG" + signal);
                TargetHealth.assertEveryThreadProgresses(target.pid(), target.truthPath());
                if (signal.equals("KILL")) {
                    assertFalse(Files.exists(out), "no partial profile after SIGKILL");
                } else {
                    String stderr = Files.readString(err);
                    assertTrue(stderr.contains("Stopped sampling (interrupted)"), stderr);
                    long samples = Collapsed.read(out).values().stream().mapToLong(Long::longValue).sum();
                    assertTrue(samples > 0, "the profile has the samples taken before SIG" + signal);
                    assertFalse(stderr.contains("Exception") || stderr.contains("\tat "), stderr);
                }
            }
        }
    }

    @Test
    void anInternalErrorWhileTheTargetIsPausedResumesItAndKeepsTheProfile() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("progress_target.py"), THREADS)) {
            target.truth(30);
            Path out = scripts.resolve("fault.txt");
            PyspyCli.Result r = PyspyCli.runInstrumented(List.of("fail-after-samples=300"), 60,
                    "record", "-r", "1000", "-f", "raw", "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(1, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("pyspy: internal error:") && r.stderr().contains("fault injected"), r.stderr());
            assertEquals(1, r.stderr().lines().filter(l -> l.startsWith("pyspy:")).count(), r.stderr());
            assertFalse(r.stderr().contains("\tat "), "no Java stack trace: " + r.stderr());
            TargetHealth.assertEveryThreadProgresses(target.pid(), target.truthPath());
            long samples = Collapsed.read(out).values().stream().mapToLong(Long::longValue).sum();
            assertTrue(samples >= 300, "the samples taken before the error are written: " + samples);
        }
    }

    @Test
    void anInternalErrorInLaunchModeStillEndsTheProgramAndWritesTheProfile() throws Exception {
        Path out = scripts.resolve("fault-launch.txt");
        Path truth = scripts.resolve("fault-launch.json");
        List<String> cmd = new java.util.ArrayList<>(List.of("record", "-r", "1000", "-f", "raw", "-o", out.toString(), "--"));
        cmd.addAll(python().command(scripts.resolve("progress_target.py").toString(), truth.toString(), "4"));
        PyspyCli.Result r = PyspyCli.runInstrumented(List.of("fail-after-samples=1500"), 60,
                cmd.toArray(new String[0]));
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("fault injected"), r.stderr());
        assertFalse(r.stderr().contains("\tat "), r.stderr());
        assertTrue(Files.exists(out), "profile written");
        int pid = new com.fasterxml.jackson.databind.ObjectMapper().readTree(truth.toFile()).get("pid").asInt();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (running(pid) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(running(pid), "the launched program was ended, not left behind");
    }

    @Test
    void targetExitingWhilePausedEndsTheRecordingWithACompleteProfile() throws Exception {
        // 64 threads still running when the process exits (os._exit) in the middle of 1000 pauses a second
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("progress_target.py"), "64", "4")) {
            target.truth(30);
            Path out = scripts.resolve("exit-mid-pause.txt");
            PyspyCli.Result r = PyspyCli.run(60, "record", "-r", "1000", "-f", "raw", "-o", out.toString(),
                    "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("Stopped sampling because the process exited"), r.stderr());
            assertFalse(r.stderr().contains("Exception"), r.stderr());
            assertTrue(target.process().waitFor(10, TimeUnit.SECONDS), "the target exited");
            assertEquals(0, target.process().exitValue(), "the target exited by itself, normally");
            long samples = Collapsed.read(out).values().stream().mapToLong(Long::longValue).sum();
            assertTrue(samples > 100, "samples up to the exit are written: " + samples);
        }
    }

    @Test
    void dumpEndedBySignalsAtRandomMomentsLeavesEveryThreadRunning() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("progress_target.py"), "100")) {
            target.truth(30);
            String[] signals = {"KILL", "TERM", "INT"};
            for (int round = 0; round < 6; round++) {
                Process dump = PyspyCli.start(scripts.resolve("dump.out"), scripts.resolve("dump.err"),
                        "dump", "-p", Integer.toString(target.pid()));
                // JVM start-up takes ~0.3-1 s: land anywhere from before the attach to after the pause
                Thread.sleep(300 + ThreadLocalRandom.current().nextInt(900));
                PyspyCli.signal(dump.pid(), signals[round % signals.length]);
                assertTrue(dump.waitFor(60, TimeUnit.SECONDS), "dump ended");
                TargetHealth.assertEveryThreadProgresses(target.pid(), target.truthPath());
            }
        }
    }

    /** Whether the process exists and is not a zombie. */
    private static boolean running(int pid) {
        try {
            return TargetProcess.state(pid) != 'Z';
        } catch (java.io.IOException gone) {
            return false;
        }
    }
}
