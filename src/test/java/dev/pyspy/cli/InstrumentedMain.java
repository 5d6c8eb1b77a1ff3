package dev.pyspy.cli;

import com.sun.management.OperatingSystemMXBean;
import dev.pyspy.sampler.Sampler;
import dev.pyspy.sampler.SamplerStats;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * pyspy's command line with faults and probes wired in, for the tests that run it as a separate
 * JVM (so they can kill it): {@code InstrumentedMain [OPTION=VALUE...] -- PYSPY-ARGS...} with
 * <ul>
 *   <li>{@code fail-after-samples=N}: the sampler throws an unchecked exception in sample N+1,
 *       while the target is paused (it must still be resumed and detached, and the samples taken
 *       so far written);</li>
 *   <li>{@code slow-output-millis=M}: writing the output file pauses M ms after every 4 KiB, so
 *       that a test can kill pyspy in the middle of writing;</li>
 *   <li>{@code stats-every-seconds=S}: {@code record} prints
 *       {@code pyspy-test-stats elapsed=... samples=... errors=... threads=... cpu=...} (cpu: the
 *       process's CPU seconds) to stderr every S seconds once sampling has begun.</li>
 * </ul>
 */
public final class InstrumentedMain {
    private static final int SLOW_CHUNK = 4096;

    private InstrumentedMain() {
    }

    public static void main(String[] args) {
        int end = Arrays.asList(args).indexOf("--");
        if (end < 0) {
            throw new IllegalArgumentException("usage: InstrumentedMain [OPTION=VALUE...] -- PYSPY-ARGS...");
        }
        Sampler.PauseListener pause = Sampler.PauseListener.NONE;
        UnaryOperator<OutputStream> output = UnaryOperator.identity();
        Consumer<SamplerStats> stats = s -> { };
        for (String option : Arrays.copyOfRange(args, 0, end)) {
            String name = option.substring(0, option.indexOf('='));
            String value = option.substring(option.indexOf('=') + 1);
            switch (name) {
                case "fail-after-samples" -> pause = failAfter(Long.parseLong(value));
                case "slow-output-millis" -> output = out -> slowly(out, Long.parseLong(value));
                case "stats-every-seconds" -> stats = statsPrinter(Double.parseDouble(value));
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        Main.runAndExit(new Instrumentation(pause, output, stats), Arrays.copyOfRange(args, end + 1, args.length));
    }

    private static Sampler.PauseListener failAfter(long samples) {
        return taken -> {
            if (taken >= samples) {
                throw new IllegalStateException("fault injected after " + taken + " samples");
            }
        };
    }

    private static Consumer<SamplerStats> statsPrinter(double everySeconds) {
        long[] next = {0};
        return stats -> {
            long now = System.nanoTime();
            if (stats.samples() == 0 || (next[0] != 0 && now < next[0])) {
                return;
            }
            next[0] = now + (long) (everySeconds * 1e9);
            double cpu = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
            System.err.printf(Locale.ROOT, "pyspy-test-stats elapsed=%.3f samples=%d errors=%d threads=%d cpu=%.3f%n",
                    stats.elapsedNanos() / 1e9, stats.samples(), stats.errors(), stats.threads(), cpu);
            System.err.flush();
        };
    }

    private static OutputStream slowly(OutputStream out, long pauseMillis) {
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
                        Thread.sleep(pauseMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while writing slowly");
                    }
                }
            }
        };
    }
}
