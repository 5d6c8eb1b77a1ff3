package dev.pyspy.sampler;

import dev.pyspy.testing.NeedsRoot;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Descriptors are bounded, not per thread: a blocking recording of a target with 3 000 threads
 * (mostly idle, one busy) holds at most the constant number of /proc files the sampler keeps open,
 * plus what its JVM holds anyway. Before, it held three per thread.
 */
@Timeout(300)
@NeedsRoot
class ManyThreadsDescriptorsTest {

    private static final int THREADS = 3000;
    /** What a recording's JVM holds besides the thread files (jars, pipes, the output): generous. */
    private static final int JVM_OWN = 128;
    /** Thread files kept open: stat (KernelThreadStates), schedstat and syscall (OffCpuCheck, 512 threads). */
    private static final int CAP = KernelThreadStates.MAX_OPEN + 2 * 512 + JVM_OWN;
    private static final Pattern SAMPLES = Pattern.compile("pyspy-test-stats elapsed=[0-9.]+ samples=(\\d+)");

    @Test
    void aBlockingRecordingOfThousandsOfThreadsHoldsABoundedNumberOfDescriptors() throws Exception {
        Interpreters.Interpreter python = Interpreters.host().stream()
                .filter(i -> !i.isPython2() && !i.freeThreaded()).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no Python 3 interpreter on this machine"));
        Path scripts = TargetProcess.scripts("many_threads_target.py");
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("many_threads_target.py"),
                Integer.toString(THREADS))) {
            target.truth(120);
            Path err = scripts.resolve("record.err");
            Process pyspy = PyspyCli.startInstrumented(List.of("stats-every-seconds=0.5"), scripts.resolve("record.out"),
                    err, "record", "-r", "100", "-d", "120", "-f", "raw", "-o", scripts.resolve("out.txt").toString(),
                    "-p", Integer.toString(target.pid()));
            int most = 0;
            long samples = 0;
            try {
                // until 20 samples were taken: the thread files of every thread were read by then
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (samples < 20) {
                    assertTrue(pyspy.isAlive(), () -> "pyspy ended early: " + read(err));
                    assertTrue(System.nanoTime() < deadline, () -> "fewer than 20 samples in 180 s: " + read(err));
                    most = Math.max(most, openDescriptors(pyspy.pid()));
                    samples = lastSamples(read(err));
                    Thread.sleep(100);
                }
                most = Math.max(most, openDescriptors(pyspy.pid()));
            } finally {
                PyspyCli.signal(pyspy.pid(), "INT");
                assertTrue(pyspy.waitFor(60, TimeUnit.SECONDS), "pyspy ended after SIGINT");
            }
            assertEquals(0, pyspy.exitValue(), read(err));
            System.out.printf("%d threads, %d samples: at most %d descriptors open (cap %d)%n", THREADS, samples, most, CAP);
            assertTrue(most <= CAP, "pyspy held " + most + " descriptors while sampling " + THREADS + " threads (cap " + CAP + ")");
        }
    }

    private static int openDescriptors(long pid) {
        String[] fds = Path.of("/proc", Long.toString(pid), "fd").toFile().list();
        return fds == null ? 0 : fds.length;
    }

    private static long lastSamples(String stderr) {
        long last = 0;
        Matcher m = SAMPLES.matcher(stderr);
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
