package dev.pyspy.sampler;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.util.Log;
import dev.pyspy.util.Uninterruptibly;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code --subprocesses}: every Python process of the tree sampled by a thread of its own, on its
 * own schedule, as py-spy does. Stopping a busy process waits until the kernel schedules it; one
 * thread pausing the processes in turn waited for each in turn, so the tick of every process
 * (the parent of a fork storm too) stretched with the number of processes on a loaded machine.
 * Each thread is the ptrace tracer of its one process (ptrace binds a tracee to the thread that
 * seized it) and detaches from it before it ends. The calling thread coordinates: it starts a
 * thread for each process the {@link ProcessWatcher} finds, as soon as it is found, and ends
 * them all when sampling ends.
 */
final class TreeSampling {
    private static final Log log = Log.of(TreeSampling.class);
    /**
     * A process whose reads fail this many samples in a row while it lives is dropped and attached
     * again if it still runs Python: it exec'd (a fork attached before its exec).
     */
    private static final int REATTACH_AFTER_FAILURES = 3;
    /** The coordinator looks at the end conditions at least this often. */
    private static final long CHECK_NANOS = 5_000_000;

    private final RecordOptions options;
    private final ProcessTree tree;
    private final ProcessWatcher watcher;
    private final SampleConsumer consumer;
    private final SamplerStats stats;
    private final Sampler.LagListener lagListener;
    private final Sampler.PauseListener pauseListener;
    private final Sampler.AsyncSetup asyncSetup;
    private final long start;
    /** Labels of the processes above sampled ones, by pid, as first seen (they may be gone later). */
    private final Map<Integer, String> ancestorLabels = new HashMap<>();
    private final List<Worker> workers = new ArrayList<>();
    private final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    private volatile boolean stopping;
    private volatile Throwable failure;
    /** The worker whose ticks count as the passes: the oldest one still sampling. */
    private volatile Worker pacer;
    private int nextIndex;

    TreeSampling(RecordOptions options, ProcessTree tree, ProcessWatcher watcher, SampleConsumer consumer,
                 SamplerStats stats, Sampler.LagListener lagListener, Sampler.PauseListener pauseListener,
                 Sampler.AsyncSetup asyncSetup) {
        this.options = options;
        this.tree = tree;
        this.watcher = watcher;
        this.consumer = consumer;
        this.stats = stats;
        this.lagListener = lagListener;
        this.pauseListener = pauseListener;
        this.asyncSetup = asyncSetup;
        this.start = stats.startNanos;
    }

    /**
     * Samples {@code initial} and every process the watcher finds until an end; call on the sampler
     * thread. {@code held}: the release of {@code initial}, held stopped (a launched program), or
     * null; the first one's thread samples them as they stand, then lets them go.
     */
    Sampler.End run(List<PythonProcess> initial, Sampler.HeldTargets held, BooleanSupplier stopRequested)
            throws PyspyException {
        try {
            for (PythonProcess p : initial) {
                startWorker(p, held);
                held = null;
            }
            while (true) {
                for (PythonProcess p; (p = watcher.found().poll()) != null; ) {
                    startWorker(p, null);
                }
                int threads = 0;
                workers.removeIf(w -> !w.thread.isAlive());
                for (Worker w : workers) {
                    threads += w.threadCount;
                }
                pacer = workers.isEmpty() ? null : workers.get(0);
                stats.processes = workers.size();
                stats.threads = threads;
                rethrowFailure();
                if (stopRequested.getAsBoolean()) {
                    return Sampler.End.STOPPED;
                }
                if (pastDuration()) {
                    return Sampler.End.DURATION;
                }
                if (workers.isEmpty() && watcher.found().isEmpty() && !tree.alive()) {
                    return Sampler.End.TARGET_EXITED;
                }
                LockSupport.parkNanos(Math.min(CHECK_NANOS, options.intervalNanos())); // the watcher unparks it
            }
        } finally {
            stopping = true;
            for (Worker w : workers) {
                LockSupport.unpark(w.thread);
            }
            for (Worker w : workers) {
                Uninterruptibly.await(w.thread::join);
            }
        }
    }

    private void rethrowFailure() throws PyspyException {
        Throwable t = failure;
        if (t instanceof PyspyException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    private boolean pastDuration() {
        return options.durationNanos() > 0 && System.nanoTime() - start >= options.durationNanos();
    }

    private void startWorker(PythonProcess p, Sampler.HeldTargets held) {
        List<String> above = new ArrayList<>();
        for (int pid : tree.ancestors(p.pid())) {
            above.add(ancestorLabels.computeIfAbsent(pid, TreeSampling::processLabel));
        }
        Worker w = new Worker(nextIndex++, p, above, held);
        w.thread = new Thread(w, "pyspy-sampler-" + p.pid());
        w.thread.setDaemon(true);
        workers.add(w);
        if (pacer == null) {
            pacer = w;
        }
        w.thread.start();
    }

    private static String processLabel(int pid) {
        try {
            return SampledProcess.label(pid, ProcFs.cmdline(pid));
        } catch (PyspyException e) {
            return SampledProcess.label(pid, List.of());
        }
    }

    /** The consumer is shared by the workers: one sample at a time. */
    private final SampleConsumer shared = new SampleConsumer() {
        @Override
        public void accept(long nanosSinceStart, SampledProcess process, TrackedThread thread, RawThreadStack sample) {
            synchronized (consumer) {
                consumer.accept(nanosSinceStart, process, thread, sample);
            }
        }
    };

    /** Samples one process on its own thread until sampling ends or the process is gone. */
    private final class Worker implements Runnable {
        private final int index;
        private final PythonProcess python;
        private final List<String> above;
        private final SamplerStats own = new SamplerStats();
        /** The release of a process held stopped until this thread's first sample of it, or null. */
        private Sampler.HeldTargets held;
        /** When that process was let go. */
        private long releasedAt;
        private Thread thread;
        private volatile int threadCount;

        Worker(int index, PythonProcess python, List<String> above, Sampler.HeldTargets held) {
            this.index = index;
            this.python = python;
            this.above = above;
            this.held = held;
        }

        @Override
        public void run() {
            long cpuStart = cpu.getCurrentThreadCpuTime();
            SampledProcess p = null;
            try {
                boolean wasHeld = held != null;
                p = wasHeld ? sampleHeld() : open();
                if (p != null) {
                    sample(p, !wasHeld);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                release(); // whatever happened, a held process is never left stopped
                if (p != null) {
                    p.close();
                }
                synchronized (stats) {
                    stats.samplerCpuNanos += cpu.getCurrentThreadCpuTime() - cpuStart;
                }
            }
        }

        /** Attaches for repeated samples; null when the process cannot be sampled (it is let be). */
        private SampledProcess open() throws PyspyException {
            try {
                ThreadPauser pauser = pauser();
                SampledProcess p = new SampledProcess(index, python, pauser, asyncSetup.of(python));
                if (options.nativeFrames() && pauser != null) {
                    p.sampleNativeFrames();
                }
                p.placeUnder(above);
                return p;
            } catch (PyspyException e) {
                log.debug("cannot sample process {}: {}", python.pid(), e.getMessage());
                return null;
            }
        }

        /**
         * The first sample of a held process, taken as it stands (see {@link SampledProcess#held}),
         * then the process is let go and seized for the next ones; null if it exited meanwhile.
         */
        private SampledProcess sampleHeld() throws PyspyException {
            SampledProcess p = SampledProcess.held(index, python, asyncSetup.of(python));
            try {
                p.placeUnder(above);
                try {
                    take(p);
                } catch (MemoryReadException e) {
                    own.errors++;
                    own.lastError = e.getMessage();
                }
                publish();
                release();
                ThreadPauser pauser = pauser();
                p.released(pauser);
                if (options.nativeFrames() && pauser != null) {
                    p.sampleNativeFrames();
                }
                return p;
            } catch (PyspyException e) {
                p.close();
                if (!PythonProcess.isGone(python.pid())) {
                    throw e;
                }
                log.debug("process {} exited as soon as it was let go", python.pid());
                return null;
            } catch (RuntimeException | Error e) {
                p.close();
                throw e;
            }
        }

        private ThreadPauser pauser() throws PyspyException {
            ThreadPauser pauser = options.blocking() ? ThreadPauser.attach(python.pid()) : null;
            if (pauser != null) {
                pauser.leaveBlockedThreadsRunning();
            }
            return pauser;
        }

        private void release() {
            if (held != null) {
                Sampler.HeldTargets h = held;
                held = null;
                releasedAt = h.release();
            }
        }

        private void take(SampledProcess p) throws MemoryReadException {
            long readsBefore = python.memory().readCalls();
            own.samples = stats.samples; // what the pause listener is told
            try {
                p.sample(System.nanoTime() - start, options, shared, pauseListener, own);
                threadCount = p.threadCount();
            } finally {
                own.reads += python.memory().readCalls() - readsBefore;
            }
        }

        /** {@code now}: the first sample is due at once; else one interval from now (one was just taken). */
        private void sample(SampledProcess p, boolean now) {
            LagLog lagLog = new LagLog();
            try {
                sample(p, now, lagLog);
            } finally {
                lagLog.flush(System.nanoTime() - start);
            }
        }

        private void sample(SampledProcess p, boolean now, LagLog lagLog) {
            List<SampledProcess> mine = List.of(p);
            BooleanSupplier stop = () -> stopping;
            SamplingSchedule schedule = now ? new SamplingSchedule(System.nanoTime(), options.intervalNanos())
                    : Sampler.released(releasedAt, start, options.intervalNanos());
            if (!now) {
                long after = System.nanoTime(); // the process was seized meanwhile: that may have taken long
                long next = schedule.next(after);
                if (schedule.lagNanos() > 0) {
                    Sampler.behind(schedule.lagNanos(), after - start, stats, lagListener, lagLog);
                }
                Sampler.sleepUntil(next, mine, stop);
            }
            while (!stopping && !pastDuration()) {
                try {
                    take(p);
                } catch (MemoryReadException e) {
                    if (p.gone() || p.failedInARow() >= REATTACH_AFTER_FAILURES) {
                        // exited, or most likely exec'd: the watcher looks at it afresh
                        log.debug("process {} exited or exec'd", p.pid());
                        watcher.forget(p.pid());
                        return;
                    }
                    own.errors++;
                    own.lastError = e.getMessage();
                }
                publish();
                long after = System.nanoTime();
                long next = schedule.next(after);
                if (schedule.lagNanos() > 0) {
                    Sampler.behind(schedule.lagNanos(), after - start, stats, lagListener, lagLog);
                }
                Sampler.sleepUntil(next, mine, stop);
            }
        }

        /** Adds this worker's counts since the last call to the shared ones; its ticks are the passes if it paces. */
        private void publish() {
            synchronized (stats) {
                if (pacer == this) {
                    stats.samples++;
                }
                stats.drain(own);
            }
        }
    }
}
