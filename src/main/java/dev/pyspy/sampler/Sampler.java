package dev.pyspy.sampler;

import dev.pyspy.PyspyException;
import dev.pyspy.process.LibC;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.python.AsyncStacks;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.util.Log;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The sampling loop. Runs on one dedicated thread, which is also the ptrace tracer of every target
 * (ptrace binds tracees to the thread that seized them). Each tick: pause, walk, resume each
 * process, hand kept stacks to the consumer; then sleep until the next scheduled tick. Under
 * {@code --subprocesses} that thread coordinates instead and each process of the tree is sampled
 * by a thread of its own ({@link TreeSampling}).
 */
public final class Sampler {
    private static final Log log = Log.of(Sampler.class);
    /**
     * While a target thread stays seized between ticks (one that did not stop in time), its stops
     * are looked for at least this often; otherwise the loop sleeps until the next tick.
     */
    private static final long POLL_NANOS = 2_000_000;
    /** Waits shorter than this are spun, not slept: even a precise sleep (LibC.preciseSleeps) wakes ~10 us late. */
    private static final long SPIN_NANOS = 30_000;

    /** Why sampling ended. */
    public enum End { STOPPED, DURATION, TARGET_EXITED }

    private final RecordOptions options;
    private final SampleConsumer consumer;
    private final SamplerStats stats = new SamplerStats();
    private final List<SampledProcess> processes = new ArrayList<>();
    private final List<PythonProcess> initial;
    private final ProcessTree tree;
    private final ProcessWatcher watcher;
    private final LagListener lagListener;
    private final PauseListener pauseListener;
    private volatile boolean stopRequested;
    private final BooleanSupplier stopped = () -> stopRequested;
    private volatile Thread samplerThread;
    private int nextIndex;
    /** Made here, not when sampling starts: its first use costs tens of milliseconds (a launched program is still held). */
    private final java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Told when sampling falls behind schedule (on the sampler thread). */
    public interface LagListener {
        void behind(long lagNanos);
    }

    /**
     * Told on the sampler thread, with the target paused (blocking mode), before each walk; an
     * exception it throws ends sampling as any failure of the walk would (the target is resumed).
     */
    public interface PauseListener {
        PauseListener NONE = samplesTaken -> { };

        void paused(long samplesTaken);
    }

    /** The {@code --async-aware} reader of a process, or null. */
    interface AsyncSetup {
        AsyncStacks of(PythonProcess p) throws PyspyException;
    }

    /**
     * Lets go of targets held stopped when sampling starts (a launched program, held since before
     * its first line): called on the thread that samples them (under {@code --subprocesses}, the
     * first target's own) once the first sample has been taken from them as they stand, so that
     * whatever sampling loads and compiles is ready before they run; returns once they run, with
     * the {@link System#nanoTime()} at which they were let go.
     */
    public interface HeldTargets {
        long release();
    }

    /**
     * Samples {@code targets}; with {@code options.subprocesses()}, also every Python process that is
     * or comes to be in the tree of {@code rootPid}, which need not be Python itself (a shell, a
     * supervisor).
     */
    public Sampler(RecordOptions options, int rootPid, List<PythonProcess> targets, SampleConsumer consumer,
                   LagListener lagListener, PauseListener pauseListener) {
        this.options = options;
        this.consumer = consumer;
        this.initial = List.copyOf(targets);
        this.lagListener = lagListener;
        this.pauseListener = pauseListener;
        this.tree = options.subprocesses() ? new ProcessTree(rootPid) : null;
        this.watcher = tree != null ? new ProcessWatcher(tree, targets,
                options.intervalNanos()) : null;
    }

    public SamplerStats stats() {
        return stats;
    }

    /** Asks the loop to end after the current tick; safe from any thread (signal handlers, UI). */
    public void requestStop() {
        stopRequested = true;
        Thread t = samplerThread;
        if (t != null) {
            LockSupport.unpark(t); // it may sleep until a tick far away
        }
    }

    /**
     * Runs until stopped, the duration ends or every target exited. Call on the sampler thread.
     *
     * @param held the targets' release when they are held stopped (their first sample is taken
     *             without pausing them), else null
     */
    public End run(HeldTargets held) throws PyspyException {
        samplerThread = Thread.currentThread();
        LibC.preciseSleeps();
        stats.startNanos = System.nanoTime();
        Thread watcherThread = null;
        try {
            if (watcher != null) {
                watcher.notifyOnFound(samplerThread);
                watcherThread = new Thread(watcher, "pyspy-process-watcher");
                watcherThread.setDaemon(true);
                watcherThread.start();
                TreeSampling trees = new TreeSampling(options, tree, watcher, consumer, stats, lagListener,
                        pauseListener, this::asyncStacks);
                // the workers add their own sampling CPU
                return trees.run(initial, held, stopped);
            }
            for (PythonProcess p : initial) {
                if (held != null) {
                    processes.add(SampledProcess.held(nextIndex++, p, asyncStacks(p)));
                } else {
                    add(p);
                }
            }
            return loop(held);
        } finally {
            if (watcherThread != null) {
                watcher.stop();
                watcherThread.interrupt();
            }
            for (SampledProcess p : processes) {
                p.close();
            }
            stats.finished = true;
        }
    }

    private End loop(HeldTargets held) throws PyspyException {
        long cpuStart = cpu.getCurrentThreadCpuTime();
        try {
            return sample(held);
        } finally {
            stats.samplerCpuNanos = cpu.getCurrentThreadCpuTime() - cpuStart;
            log.debug("{} samples, {} reads per sample, {} us sampler CPU per sample, {} us paused per sample",
                    stats.samples, String.format("%.1f", stats.readsPerSample()),
                    String.format("%.1f", stats.samplerCpuMicrosPerSample()),
                    String.format("%.1f", stats.pausedMicrosPerSample()));
        }
    }

    private End sample(HeldTargets held) throws PyspyException {
        LagLog lagLog = new LagLog();
        try {
            return sample(held, lagLog);
        } finally {
            lagLog.flush(System.nanoTime() - stats.startNanos);
        }
    }

    private End sample(HeldTargets held, LagLog lagLog) throws PyspyException {
        long start = stats.startNanos;
        SamplingSchedule schedule = new SamplingSchedule(start, options.intervalNanos());
        while (true) {
            if (stopRequested) {
                return End.STOPPED;
            }
            long now = System.nanoTime();
            if (pastDuration(start)) {
                return End.DURATION;
            }
            int threads = 0;
            for (int i = 0; i < processes.size(); i++) {
                SampledProcess p = processes.get(i);
                long readsBefore = p.python().memory().readCalls();
                try {
                    p.sample(now - start, options, consumer, pauseListener, stats);
                    stats.reads += p.python().memory().readCalls() - readsBefore;
                    threads += p.threadCount();
                } catch (MemoryReadException e) {
                    if (p.gone()) {
                        log.debug("process {} exited", p.pid());
                        p.close();
                        processes.remove(i--);
                    } else {
                        stats.errors++;
                        stats.lastError = e.getMessage();
                    }
                }
            }
            stats.samples++;
            stats.threads = threads;
            stats.processes = processes.size();
            if (held != null) {
                long releasedAt = release(held);
                held = null;
                // the released targets' next sample is one interval after they start running
                schedule = released(releasedAt, start, options.intervalNanos());
            }
            if (processes.isEmpty()) {
                return End.TARGET_EXITED;
            }
            long after = System.nanoTime();
            long next = schedule.next(after);
            if (schedule.lagNanos() > 0) {
                behind(schedule.lagNanos(), after - start, stats, lagListener, lagLog);
            }
            sleepUntil(next, processes, stopped);
        }
    }

    /** The schedule of targets let go at {@code releasedAt} (they were held): their next sample is one interval later. */
    static SamplingSchedule released(long releasedAt, long start, long intervalNanos) {
        log.debug("held targets released at {} us", (releasedAt - start) / 1_000);
        return new SamplingSchedule(releasedAt, intervalNanos);
    }

    /**
     * Reports that sampling fell {@code lagNanos} behind its schedule, found {@code atNanos} after
     * sampling began, and skipped the samples due meanwhile. With {@code -v} {@code lagLog} logs it,
     * so that every gap in a profile's timeline longer than the schedule allows is accounted for.
     */
    static void behind(long lagNanos, long atNanos, SamplerStats stats, LagListener listener, LagLog lagLog) {
        stats.lagNanos = lagNanos;
        lagLog.add(lagNanos, atNanos);
        listener.behind(lagNanos);
    }

    /**
     * Sleeps until {@code next} (or {@code stop}), letting go meanwhile of threads of {@code processes}
     * that stopped late.
     */
    static void sleepUntil(long next, List<SampledProcess> processes, BooleanSupplier stop) {
        for (long wait; (wait = next - System.nanoTime()) > 0 && !stop.getAsBoolean(); ) {
            if (wait < SPIN_NANOS) {
                Thread.onSpinWait(); // a sleep this short would overshoot
                continue;
            }
            boolean poll = false;
            for (SampledProcess p : processes) {
                poll |= p.pollEvents();
            }
            LockSupport.parkNanos(poll ? Math.min(wait - SPIN_NANOS / 2, POLL_NANOS) : wait - SPIN_NANOS / 2);
        }
    }

    private boolean pastDuration(long start) {
        return options.durationNanos() > 0 && System.nanoTime() - start >= options.durationNanos();
    }

    private void add(PythonProcess p) throws PyspyException {
        ThreadPauser pauser = pauser(p.pid());
        SampledProcess sampled = new SampledProcess(nextIndex++, p, pauser, asyncStacks(p));
        sampleNativeFramesOf(sampled, pauser);
        processes.add(sampled);
    }

    /** {@code --native}: unwinding needs the threads stopped, so only where a pauser stops them. */
    private void sampleNativeFramesOf(SampledProcess sampled, ThreadPauser pauser) throws PyspyException {
        if (options.nativeFrames() && pauser != null) {
            sampled.sampleNativeFrames();
        }
    }

    /**
     * {@code --native} where threads blocked in the kernel are kept (idle, wall, exception): they
     * are stopped too, so their native stacks (the call they wait in) are unwound like the others'.
     */
    private boolean unwindsSleepers() {
        SampleMode mode = options.mode();
        return options.nativeFrames()
                && (mode == SampleMode.WALL || mode == SampleMode.EXCEPTION || (mode == SampleMode.ACTIVE && options.idle()));
    }

    private AsyncStacks asyncStacks(PythonProcess p) throws PyspyException {
        return options.asyncAware() ? AsyncStacks.of(p, options.asyncAllTasks()) : null;
    }

    /**
     * Lets the held targets run and from now on pauses them for each sample (blocking mode);
     * returns when they were let go.
     */
    private long release(HeldTargets held) throws PyspyException {
        long releasedAt = held.release();
        for (int i = 0; i < processes.size(); i++) {
            SampledProcess p = processes.get(i);
            try {
                ThreadPauser pauser = pauser(p.pid());
                p.released(pauser);
                sampleNativeFramesOf(p, pauser);
            } catch (PyspyException e) {
                if (!PythonProcess.isGone(p.pid())) {
                    throw e;
                }
                log.debug("process {} exited", p.pid()); // as soon as it was let go
                p.close();
                processes.remove(i--);
            }
        }
        return releasedAt;
    }

    private ThreadPauser pauser(int pid) throws PyspyException {
        ThreadPauser pauser = options.blocking() ? ThreadPauser.attach(pid) : null;
        if (pauser != null && !unwindsSleepers()) {
            pauser.leaveBlockedThreadsRunning();
        }
        return pauser;
    }
}
