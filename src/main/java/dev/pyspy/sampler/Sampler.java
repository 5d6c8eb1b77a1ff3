package dev.pyspy.sampler;

import dev.pyspy.PyspyException;
import dev.pyspy.process.LibC;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.python.AsyncStacks;
import dev.pyspy.python.PythonProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The sampling loop. Runs on one dedicated thread, which is also the ptrace tracer of every target
 * (ptrace binds tracees to the thread that seized them). Each tick: pause, walk, resume each
 * process, hand kept stacks to the consumer; then sleep until the next scheduled tick.
 */
public final class Sampler {
    private static final Logger log = LoggerFactory.getLogger(Sampler.class);
    /**
     * While a target thread stays seized between ticks (one that did not stop in time), its stops
     * are looked for at least this often; otherwise the loop sleeps until the next tick.
     */
    private static final long POLL_NANOS = 2_000_000;
    /** Waits shorter than this are spun, not slept: even a precise sleep (LibC.preciseSleeps) wakes ~10 us late. */
    private static final long SPIN_NANOS = 30_000;
    /**
     * Under {@code -s}, a process whose reads fail this many samples in a row while it lives is
     * dropped and attached again if it still runs Python: it exec'd (a fork attached before its exec).
     */
    private static final int REATTACH_AFTER_FAILURES = 3;

    /** Why sampling ended. */
    public enum End { STOPPED, DURATION, TARGET_EXITED }

    private final RecordOptions options;
    private final SampleConsumer consumer;
    private final SamplerStats stats = new SamplerStats();
    private final List<SampledProcess> processes = new ArrayList<>();
    private final List<PythonProcess> initial;
    private final ProcessTree tree;
    /** Labels of the processes above sampled ones (--subprocesses), by pid. */
    private final Map<Integer, String> ancestorLabels = new HashMap<>();
    private final ProcessWatcher watcher;
    private final LagListener lagListener;
    private final PauseListener pauseListener;
    private volatile boolean stopRequested;
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

    /**
     * Lets go of targets held stopped when sampling starts (a launched program, held since before
     * its first line): called on the sampler thread once the first sample has been taken from them
     * as they stand, so that whatever sampling loads and compiles is ready before they run; returns
     * once they run.
     */
    public interface HeldTargets {
        void release();
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
            for (PythonProcess p : initial) {
                if (held != null) {
                    processes.add(SampledProcess.held(nextIndex++, p, asyncStacks(p)));
                } else if (tree == null) {
                    add(p);
                } else {
                    addFromTree(p); // it may have exited already: the rest of the tree is still sampled
                }
            }
            if (watcher != null) {
                watcherThread = new Thread(watcher, "pyspy-process-watcher");
                watcherThread.setDaemon(true);
                watcherThread.start();
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
            addNewProcesses();
            int threads = 0;
            for (int i = 0; i < processes.size(); i++) {
                if (i > 0 && pastDuration(start)) {
                    return End.DURATION; // a tick over many slow-to-stop processes must not stretch -d
                }
                SampledProcess p = processes.get(i);
                long readsBefore = p.python().memory().readCalls();
                try {
                    p.sample(now - start, options, consumer, pauseListener, stats);
                    stats.reads += p.python().memory().readCalls() - readsBefore;
                    threads += p.threadCount();
                } catch (MemoryReadException e) {
                    if (p.gone() || (watcher != null && p.failedInARow() >= REATTACH_AFTER_FAILURES)) {
                        // exited, or (under -s) most likely exec'd: the watcher looks at it afresh
                        log.debug("process {} exited or exec'd", p.pid());
                        p.close();
                        processes.remove(i--);
                        if (watcher != null) {
                            watcher.forget(p.pid());
                        }
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
                release(held);
                held = null;
                // the released targets' next sample is one interval after they start running
                schedule = new SamplingSchedule(System.nanoTime(), options.intervalNanos());
            }
            if (processes.isEmpty() && (tree == null || !tree.alive())) {
                return End.TARGET_EXITED;
            }
            long next = schedule.next(System.nanoTime());
            if (schedule.lagNanos() > 0) {
                stats.lagNanos = schedule.lagNanos();
                lagListener.behind(schedule.lagNanos());
            }
            for (long wait; (wait = next - System.nanoTime()) > 0 && !stopRequested; ) {
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
    }

    private boolean pastDuration(long start) {
        return options.durationNanos() > 0 && System.nanoTime() - start >= options.durationNanos();
    }

    private void addNewProcesses() {
        if (watcher == null) {
            return;
        }
        for (PythonProcess p; (p = watcher.found().poll()) != null; ) {
            addFromTree(p);
        }
    }

    private void addFromTree(PythonProcess p) {
        try {
            add(p);
            List<String> above = new ArrayList<>();
            for (int pid : tree.ancestors(p.pid())) {
                above.add(ancestorLabels.computeIfAbsent(pid, Sampler::processLabel));
            }
            processes.get(processes.size() - 1).placeUnder(above);
        } catch (PyspyException e) {
            log.debug("cannot sample process {}: {}", p.pid(), e.getMessage());
        }
    }

    /** A process above a sampled one: its label as it was when first seen (it may be gone later). */
    private static String processLabel(int pid) {
        try {
            return SampledProcess.label(pid, ProcFs.cmdline(pid));
        } catch (PyspyException e) {
            return SampledProcess.label(pid, List.of());
        }
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

    /** Lets the held targets run and from now on pauses them for each sample (blocking mode). */
    private void release(HeldTargets held) throws PyspyException {
        held.release();
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
    }

    private ThreadPauser pauser(int pid) throws PyspyException {
        ThreadPauser pauser = options.blocking() ? ThreadPauser.attach(pid) : null;
        if (pauser != null && !unwindsSleepers()) {
            pauser.leaveBlockedThreadsRunning();
        }
        return pauser;
    }
}
