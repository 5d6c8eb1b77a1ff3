package dev.pyspy;

import com.sun.management.OperatingSystemMXBean;
import dev.pyspy.sampler.SamplerStats;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Test-only hooks, off unless their system properties are set (each is read once, when this class
 * loads). The tests that prove pyspy's guarantees (docs/guarantees.md) use them to put a fault at
 * the worst moment, or to watch a long recording from outside:
 * <ul>
 *   <li>{@code -Dpyspy.test.failAfterSamples=N}: the sampler throws an unchecked exception in sample
 *       N+1, while the target is paused (it must still be resumed and detached, and the samples
 *       taken so far written);</li>
 *   <li>{@code -Dpyspy.test.slowOutputMillis=M}: writing the output file pauses M ms after every
 *       4 KiB, so that a test can kill pyspy in the middle of writing (the old file, or none, must
 *       remain: never a truncated one);</li>
 *   <li>{@code -Dpyspy.test.statsEverySeconds=S}: {@code record} prints a line
 *       {@code pyspy-test-stats elapsed=... samples=... errors=... threads=... cpu=...} (cpu: the
 *       process's CPU seconds) to stderr every S seconds (the soak test checks that the cost of a
 *       sample and the sample rate hold for ten minutes).</li>
 * </ul>
 */
public final class TestHooks {
    public static final String FAIL_AFTER_SAMPLES = "pyspy.test.failAfterSamples";
    public static final String SLOW_OUTPUT_MILLIS = "pyspy.test.slowOutputMillis";
    private static final long FAIL_AFTER = Long.getLong(FAIL_AFTER_SAMPLES, -1);
    private static final long SLOW_OUTPUT = Long.getLong(SLOW_OUTPUT_MILLIS, 0);
    private static final int SLOW_CHUNK = 4096;
    public static final String STATS_EVERY_SECONDS = "pyspy.test.statsEverySeconds";
    private static final double STATS_EVERY = Double.parseDouble(System.getProperty(STATS_EVERY_SECONDS, "0"));
    private static long nextStatsNanos;

    private TestHooks() {
    }

    /** Called by the sampler with the target paused; throws once {@code samplesTaken} reaches the configured count. */
    public static void whilePaused(long samplesTaken) {
        if (FAIL_AFTER >= 0 && samplesTaken >= FAIL_AFTER) {
            throw new IllegalStateException("fault injected after " + samplesTaken + " samples (" + FAIL_AFTER_SAMPLES + ")");
        }
    }

    /**
     * Prints the sampler's counters when {@link #STATS_EVERY_SECONDS} is set, sampling has begun and
     * another period has passed since the last line; call often (the record loop does, four times a second).
     */
    public static void stats(PrintStream err, SamplerStats stats) {
        if (STATS_EVERY <= 0 || stats.samples() == 0) {
            return;
        }
        long now = System.nanoTime();
        if (nextStatsNanos != 0 && now < nextStatsNanos) {
            return;
        }
        nextStatsNanos = now + (long) (STATS_EVERY * 1e9);
        double cpu = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        err.printf(Locale.ROOT, "pyspy-test-stats elapsed=%.3f samples=%d errors=%d threads=%d cpu=%.3f%n",
                stats.elapsedNanos() / 1e9, stats.samples(), stats.errors(), stats.threads(), cpu);
        err.flush();
    }

    /** {@code out} itself, or a stream that writes it slowly when {@link #SLOW_OUTPUT_MILLIS} is set. */
    public static OutputStream output(OutputStream out) {
        if (SLOW_OUTPUT <= 0) {
            return out;
        }
        return new FilterOutputStream(out) {
            private int sinceSleep;

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                count(1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int n = Math.min(len, SLOW_CHUNK - sinceSleep);
                    out.write(b, off, n);
                    off += n;
                    len -= n;
                    count(n);
                }
            }

            private void count(int n) throws IOException {
                sinceSleep += n;
                if (sinceSleep >= SLOW_CHUNK) {
                    sinceSleep = 0;
                    out.flush();
                    try {
                        Thread.sleep(SLOW_OUTPUT);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while writing slowly");
                    }
                }
            }
        };
    }
}
