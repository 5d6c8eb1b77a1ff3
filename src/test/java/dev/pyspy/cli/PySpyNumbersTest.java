package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Numbers that mean what py-spy's mean: {@code Samples:} counts kept thread samples, and top's GIL
 * and Active are thread samples per pass (100% = one thread's worth), not shares of all threads.
 */
@NeedsRoot
class PySpyNumbersTest {
    private static final Pattern HEADER = Pattern.compile("GIL: ([\\d.]+)%  Active: ([\\d.]+)%  Threads: (\\d+)");
    private static final Pattern SUMMARY = Pattern.compile("Samples: (\\d+) Errors: (\\d+) Passes: (\\d+)");
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("four_threads_target.py");
    }

    static Interpreter python312() {
        return Interpreters.host().stream().filter(i -> i.majorMinor().equals("3.12")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Python 3.12 on this machine"));
    }

    @Test
    void topActiveAddsUpOverThreadsThatRunAtOnce() throws Exception {
        double[] gilActive = lastTopHeader("nogil");
        // 4 threads hashing outside the GIL are all running or runnable: ~400%, never a share of 100%
        assertTrue(gilActive[1] >= 200, "Active over 4 busy threads: " + gilActive[1]);
        assertTrue(gilActive[0] <= 100.5, "at most one GIL holder per pass: " + gilActive[0]);
    }

    @Test
    void topGilIsOneThreadsWorthWhenThreadsContendForIt() throws Exception {
        double[] gilActive = lastTopHeader("gil");
        // one of the 4 looping threads holds the GIL in nearly every pass: ~100%, not 100% / 5 threads
        assertTrue(gilActive[0] >= 50 && gilActive[0] <= 100.5, "GIL under contention: " + gilActive[0]);
        assertTrue(gilActive[1] >= gilActive[0] - 0.01, "the GIL holder runs: " + gilActive[0] + " " + gilActive[1]);
    }

    @Test
    void recordSamplesCountThreadSamplesAsTheProfileDoes() throws Exception {
        try (TargetProcess target = TargetProcess.start(python312(), scripts.resolve("four_threads_target.py"), "nogil")) {
            target.truth(30);
            Path out = scripts.resolve("samples-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "-d", "2", "-f", "raw", "-o", out.toString(),
                    "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            Matcher m = SUMMARY.matcher(r.stderr());
            assertTrue(m.find(), r.stderr());
            long samples = Long.parseLong(m.group(1));
            long passes = Long.parseLong(m.group(3));
            long inFile = 0;
            for (String line : Files.readAllLines(out)) {
                inFile += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            }
            assertEquals(inFile, samples, "Samples: is the profile's total: " + r.stderr());
            assertTrue(samples > passes, "4 busy threads give more samples than passes: " + r.stderr());
        }
    }

    /** Runs plain {@code top} on the target until it printed 3 snapshots; the last one's GIL and Active. */
    private static double[] lastTopHeader(String mode) throws Exception {
        try (TargetProcess target = TargetProcess.start(python312(), scripts.resolve("four_threads_target.py"), mode)) {
            target.truth(30);
            Path out = scripts.resolve("top-" + System.nanoTime() + ".out");
            Path err = scripts.resolve("top-" + System.nanoTime() + ".err");
            Process pyspy = PyspyCli.start(out, err, "top", "--delay", "0.5", "-p", Integer.toString(target.pid()));
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String stdout = "";
                while (HEADER.matcher(stdout).results().count() < 4 && System.nanoTime() < deadline && pyspy.isAlive()) {
                    Thread.sleep(100);
                    stdout = Files.readString(out);
                }
                double[] last = null;
                for (Matcher m = HEADER.matcher(stdout); m.find(); ) {
                    last = new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
                }
                assertTrue(last != null && HEADER.matcher(stdout).results().count() >= 4,
                        "top snapshots:\n" + stdout + Files.readString(err));
                return last;
            } finally {
                pyspy.destroy();
                pyspy.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
