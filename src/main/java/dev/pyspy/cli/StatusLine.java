package dev.pyspy.cli;

import dev.pyspy.sampler.SamplerStats;

import java.io.PrintStream;
import java.util.Locale;

/** The one-line progress display on stderr while recording (only when stderr is a terminal). */
final class StatusLine {
    private static final int BAR_WIDTH = 20;
    /** Smaller hiccups (class loading at start, a busy machine) only show in the achieved rate. */
    private static final long REPORTED_LAG_NANOS = 250_000_000L;
    private final PrintStream err;
    private final long durationNanos;
    private final boolean terminal;
    private long lastLagReport;

    StatusLine(PrintStream err, long durationNanos, boolean terminal) {
        this.err = err;
        this.durationNanos = durationNanos;
        this.terminal = terminal;
    }

    void update(SamplerStats stats) {
        if (!terminal) {
            return;
        }
        double elapsed = stats.elapsedNanos() / 1e9;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "\rpyspy> %.1fs  %d samples  %d errors  %d passes (%.1f/s)", elapsed, stats.keptThreadSamples(),
                stats.errors(), stats.samples(), stats.achievedRate()));
        if (durationNanos > 0) {
            double done = Math.min(1, stats.elapsedNanos() / (double) durationNanos);
            int filled = (int) Math.round(done * BAR_WIDTH);
            line.append("  [").append("=".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ")
                    .append((int) (done * 100)).append('%');
        }
        line.append("\033[K");
        err.print(line);
        err.flush();
    }

    void clear() {
        if (terminal) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    /** Says that sampling fell behind (by a noticeable amount), at most every five seconds. */
    void behind(long lagNanos) {
        long now = System.nanoTime();
        if (lagNanos < REPORTED_LAG_NANOS || now - lastLagReport < 5_000_000_000L) {
            return;
        }
        lastLagReport = now;
        clear();
        err.printf(Locale.ROOT, "pyspy> sampling is %.3f s behind schedule; samples are skipped (try a lower --rate)%n",
                lagNanos / 1e9);
        err.flush();
    }
}
