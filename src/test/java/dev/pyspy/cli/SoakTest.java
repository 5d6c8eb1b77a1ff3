package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.ProfileFiles;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A long blocking recording at 100 samples a second of a workload that keeps changing
 * (soak_target.py: phases of different functions, recursion depths, short-lived threads, freshly
 * compiled code): pyspy's live heap (measured after a full GC), its threads and its open files stay
 * flat, and the sample rate does not sag as time goes on.
 *
 * <p>In the normal suite it runs {@value #DEFAULT_SECONDS} seconds. The ten-minute soak:
 * {@code mvn test -Dtest=SoakTest -Dpyspy.soak.seconds=600} (or {@code scripts/soak}).
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
@NeedsRoot
class SoakTest {
    static final int DEFAULT_SECONDS = 30;
    private static final int SECONDS = Integer.getInteger("pyspy.soak.seconds", DEFAULT_SECONDS);
    private static final int RATE = 100;
    private static final Pattern STATS = Pattern.compile(
            "pyspy-test-stats elapsed=([0-9.]+) samples=(\\d+) errors=(\\d+) threads=(\\d+) cpu=([0-9.]+)");

    /** What pyspy's JVM holds at one moment. */
    private record Footprint(long liveHeapKb, int threads, int fds) {
    }

    @Test
    void aLongRecordingOfAChangingProgramKeepsMemoryFlatAndItsSampleRate() throws Exception {
        Path scripts = TargetProcess.scripts("soak_target.py");
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("soak_target.py"))) {
            target.truth(30);
            Path out = scripts.resolve("soak.txt");
            Path err = scripts.resolve("soak.err");
            Process pyspy = PyspyCli.startInstrumented(List.of("stats-every-seconds=2"), scripts.resolve("soak.out"), err,
                    "record", "-r", Integer.toString(RATE), "-d", Integer.toString(SECONDS), "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            PyspyCli.awaitSampling(pyspy, err);
            long start = System.nanoTime();
            // warm: classes loaded, the workload's phases mostly seen once (they repeat every 12 s);
            // late: well before the end (measuring starts a JVM, which takes seconds on a busy machine)
            sleepUntil(start, Math.min(15, SECONDS / 4.0));
            Footprint warm = footprint(pyspy);
            sleepUntil(start, SECONDS - Math.max(10, SECONDS / 10.0));
            Footprint late = footprint(pyspy);
            assertTrue(pyspy.waitFor(120, TimeUnit.SECONDS), "pyspy ended after its duration");
            String stderr = Files.readString(err);
            assertEquals(0, pyspy.exitValue(), stderr);
            assertTrue(stderr.contains("duration reached"), stderr);
            ProfileFiles.assertComplete(out);

            String report = String.format(Locale.ROOT, "%d s soak: warm %s, late %s", SECONDS, warm, late);
            System.out.println(report);
            // the profile may grow with what is new in it (distinct stacks, threads): a little, not per sample
            long allowedKb = 3 * 1024 + SECONDS * 4L;
            assertTrue(late.liveHeapKb() - warm.liveHeapKb() <= allowedKb,
                    "live heap grew by more than " + allowedKb + " KiB: " + report);
            assertTrue(Math.abs(late.threads() - warm.threads()) <= 1, "threads: " + report);
            assertTrue(late.fds() - warm.fds() <= 4, "open files: " + report);

            // the sample rate holds: the last third of the run samples as fast as the first
            List<double[]> stats = new ArrayList<>();
            Matcher m = STATS.matcher(stderr);
            while (m.find()) {
                stats.add(new double[]{Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                        Double.parseDouble(m.group(3)), Double.parseDouble(m.group(5))});
            }
            // one line every 2 s, give or take the record loop's 250 ms steps
            assertTrue(stats.size() >= SECONDS / 2 * 0.9 - 2, "stats lines: " + stats.size() + "\n" + stderr);
            double[] first = rate(stats, SECONDS * 0.1, SECONDS * 0.4);
            double[] last = rate(stats, SECONDS * 0.6, SECONDS * 0.95);
            String rates = String.format(Locale.ROOT, "first third %.1f/s, %.0f us CPU a sample, %.2f%% errors; "
                    + "last third %.1f/s, %.0f us CPU a sample, %.2f%% errors",
                    first[0], first[2], first[1] * 100, last[0], last[2], last[1] * 100);
            System.out.println(rates);
            // A leak shows as work per sample that grows (and, on a machine with CPU to spare, a rate
            // that sags). The rate itself also depends on how busy the machine is: checked loosely.
            assertTrue(last[2] <= 1.5 * first[2] + 100, "a sample costs more and more CPU: " + rates);
            assertTrue(last[0] >= 0.7 * first[0], "the sample rate sagged: " + rates);
            assertTrue(first[0] >= 0.25 * RATE && last[0] >= 0.25 * RATE, "samples lost: " + rates + "\n" + stderr);
            assertTrue(last[1] <= 0.02, "read errors: " + rates);
        }
    }

    /**
     * Between two moments of the run: samples a second, the share of them that failed, and
     * microseconds of pyspy's CPU per sample.
     */
    private static double[] rate(List<double[]> stats, double from, double to) {
        double[] a = null;
        double[] b = null;
        for (double[] s : stats) {
            if (a == null && s[0] >= from) {
                a = s;
            }
            if (s[0] <= to) {
                b = s;
            }
        }
        assertTrue(a != null && b != null && b[0] > a[0], "stats cover " + from + "-" + to + " s");
        double samples = b[1] - a[1];
        return new double[]{samples / (b[0] - a[0]), samples == 0 ? 0 : (b[2] - a[2]) / samples,
                samples == 0 ? 0 : (b[3] - a[3]) * 1e6 / samples};
    }

    private static void sleepUntil(long start, double seconds) throws InterruptedException {
        long wait = start + (long) (seconds * 1e9) - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /** Live heap (a class histogram after a full GC), threads and open files of pyspy's JVM. */
    private static Footprint footprint(Process pyspy) throws Exception {
        assertTrue(pyspy.isAlive(), "pyspy still records");
        long pid = pyspy.pid();
        // first the histogram (live objects only: it runs a full GC), which also starts the JVM's attach
        // listener thread: both footprints then count it
        String histogram = jcmd(pid, "GC.class_histogram");
        Matcher total = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$").matcher(histogram);
        assertTrue(total.find(), histogram);
        int threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring(8).trim());
            }
        }
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = (int) s.count();
        }
        return new Footprint(Long.parseLong(total.group(1)) / 1024, threads, fds);
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "jcmd " + command + ": " + out);
        return out;
    }
}
