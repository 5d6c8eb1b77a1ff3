package dev.pyspy.cli;

import dev.pyspy.sampler.Sampler;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link Sampler} on its own thread (the ptrace tracer) and makes Ctrl-C and SIGTERM end it
 * gracefully: they stop sampling ({@link StopSignals}) and the caller writes its output and exits
 * as it would at the end of the recording. Other ways the JVM is told to exit (SIGHUP) go through
 * the shutdown hook, which stops sampling and waits until the output is written, so an interrupted
 * recording still produces a complete file.
 */
final class SamplingRun {
    private static final long OUTPUT_GRACE_SECONDS = 60;

    private final Sampler sampler;
    private final CountDownLatch outputWritten = new CountDownLatch(1);
    private final Thread thread;
    private final Thread hook;
    private volatile Sampler.End end;
    private volatile Throwable failure;
    private volatile boolean interrupted;

    SamplingRun(Sampler sampler) {
        this.sampler = sampler;
        this.thread = new Thread(this::runSampler, "pyspy-sampler");
        this.hook = new Thread(this::onShutdown, "pyspy-shutdown");
    }

    void start() {
        Runtime.getRuntime().addShutdownHook(hook);
        StopSignals.install(this::onStopSignal);
        thread.start();
    }

    private void onStopSignal() {
        interrupted = true;
        sampler.requestStop();
    }

    private void runSampler() {
        try {
            end = sampler.run();
        } catch (Throwable t) {
            failure = t;
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
