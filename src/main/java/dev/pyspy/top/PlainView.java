package dev.pyspy.top;

import java.io.PrintStream;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The view when stdout is not a terminal: a plain-text snapshot every refresh interval, separated
 * by blank lines, so {@code pyspy top -p PID | head} or a log file works. Ends quietly when the
 * reader goes away (a closed pipe shows as a write error: the JVM ignores SIGPIPE).
 */
public final class PlainView {
    /** Table rows per snapshot; the rest is summarised in one line. */
    public static final int MAX_ROWS = 50;
    private static final long POLL_NANOS = 50_000_000L;

    private PlainView() {
    }

    /**
     * Prints a snapshot every {@code delayNanos} until sampling ends (then prints a last one) or
     * {@code out} fails.
     */
    public static TopExit run(TopModel model, BooleanSupplier sampling, long delayNanos, PrintStream out) {
        boolean first = true;
        long next = System.nanoTime() + delayNanos;
        while (true) {
            boolean running = sampling.getAsBoolean();
            if (running && System.nanoTime() - next < 0) {
                sleep(Math.min(POLL_NANOS, next - System.nanoTime()));
                continue;
            }
            next = System.nanoTime() + delayNanos;
            model.refresh();
            if (!first) {
                out.println();
            }
            first = false;
            print(model, out);
            if (out.checkError()) {
                return TopExit.OUTPUT_CLOSED;
            }
            if (!running) {
                return TopExit.SAMPLING_ENDED;
            }
        }
    }

    /** One snapshot of the model as it is (without refreshing it). */
    public static void print(TopModel model, PrintStream out) {
        print(model, out, MAX_ROWS);
    }

    public static void print(TopModel model, PrintStream out, int maxRows) {
        List<String> lines = TopRenderer.renderPlain(model.status(), model.snapshot(), model.view(false), maxRows);
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append(System.lineSeparator());
        }
        out.print(text);
        out.flush();
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
