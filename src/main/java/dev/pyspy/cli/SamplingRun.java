package dev.pyspy.cli;

import dev.pyspy.sampler.Sampler;
import dev.pyspy.util.Uninterruptibly;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link Sampler} on its own thread (the ptrace tracer) and makes Ctrl-C and SIGTERM end it
 * gracefully: they stop sampling ({@link StopSignals}) and the caller writes its output and exits
 * as it would at the end of the recording. Other ways the JVM is told to exit (SIGHUP) go through
 * the shutdown hook, which stops sampling and waits until the output is written, so an interrupted
 * recording still produces a complete file.
 *
 * <p>A launched program is held stopped until the sampler thread has taken its first sample (so the
 * sampling path is loaded and warm before the program's first line runs); then the thread that
 * opened the target, which holds it, lets it go ({@link #start}), and the sampler goes on.
 */
final class SamplingRun {
    private static final long OUTPUT_GRACE_SECONDS = 60;

    private final Sampler sampler;
    private final CountDownLatch outputWritten = new CountDownLatch(1);
    /** Counted down by the sampler's first sample of a held target, or by its end, whichever comes first. */
    private final CountDownLatch firstSample = new CountDownLatch(1);
    /** When the held target was let go ({@link System#nanoTime()}), once {@link #letGo} is set. */
    private long releasedAt;
    private volatile boolean letGo;
    private final Thread thread;
    private final Thread hook;
    private volatile Sampler.End end;
    private volatile Throwable failure;
    private volatile boolean interrupted;
    private volatile boolean held;

    SamplingRun(Sampler sampler) {
        this.sampler = sampler;
        this.thread = new Thread(this::runSampler, "pyspy-sampler");
        this.hook = new Thread(this::onShutdown, "pyspy-shutdown");
    }

    /**
     * Starts sampling. A held target is let go here, on the calling thread (its ptrace tracer),
     * once the sampler has sampled it, or has ended, or failed to start: it is never left stopped.
     */
    void start(Target target) {
        held = target.held();
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            StopSignals.install(this::onStopSignal);
            thread.start();
            if (held) {
                Uninterruptibly.await(firstSample::await);
            }
        } finally {
            long now = System.nanoTime();
            target.release();
            releasedAt = now;
            letGo = true;
        }
    }

    /**
     * On the sampler thread, after the held target's first sample: waits until it runs, spinning,
     * for the target runs from then on and a thread woken up from a sleep can come many
     * milliseconds later on a loaded machine, when the program's first moments are gone.
     */
    private long handOver() {
        firstSample.countDown();
        while (!letGo) {
            Thread.onSpinWait();
        }
        return releasedAt;
    }

    private void onStopSignal() {
        interrupted = true;
        sampler.requestStop();
    }

    private void runSampler() {
        try {
            end = sampler.run(held ? this::handOver : null);
        } catch (Throwable t) {
            failure = t;
        } finally {
            firstSample.countDown();
        }
    }

    private void onShutdown() {
        interrupted = true;
        sampler.requestStop();
        try {
            outputWritten.await(OUTPUT_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean running() {
        return thread.isAlive();
    }

    void awaitEnd(long millis) throws InterruptedException {
        thread.join(millis);
    }

    void stop() {
        sampler.requestStop();
    }

    Sampler.End end() {
        return end;
    }

    Throwable failure() {
        return failure;
    }

    /** True when a signal (Ctrl-C, SIGTERM, SIGHUP) ended the run. */
    boolean interruptedBySignal() {
        return interrupted;
    }

    /** Call once the output is safely written: lets a pending shutdown proceed. */
    void outputDone() {
        outputWritten.countDown();
        if (!interrupted) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }
}
