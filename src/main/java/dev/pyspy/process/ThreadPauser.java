package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

import dev.pyspy.process.Tracee.State;
import dev.pyspy.util.Log;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pauses the threads of a process with ptrace so that its memory can be read consistently.
 *
 * <p>Two ways to use it:
 * <ul>
 *   <li>One-shot: {@link #pauseAll(int)} seizes and stops every thread; {@link #resumeAll()} (or
 *       {@link #close()}) detaches, letting them run again.</li>
 *   <li>Repeated, for sampling: {@link #attach(int)} seizes every thread (they keep running);
 *       each sample calls {@link #interrupt()} then {@link #resume()}; {@link #detach()} at the
 *       end. {@link #resume()} detaches the threads it lets go, so between samples the target runs
 *       untraced: a signal sent to it then reaches it at once instead of stopping the thread until
 *       pyspy restarts it, and pyspy need not wake up to pass signals on. The threads are kept
 *       in a list and seized again by the next {@link #interrupt()}. A thread that did not stop in
 *       time stays seized until its stop arrives: while {@link #holdsRunningThreads()}, call
 *       {@link #pollEvents()} when idle so that it is let go without waiting for the next sample.</li>
 * </ul>
 *
 * <p>Threads are seized with {@code PTRACE_SEIZE} (no SIGSTOP is sent, so the target sees no
 * job-control side effects) and stopped with {@code PTRACE_INTERRUPT}. Threads created later are
 * found by {@link NewThreads}; the threads known and the requests on each one are {@link Tracees};
 * stop notifications are collected by {@link StopEvents}; threads left running because they are
 * blocked are {@link ParkedThreads}. {@code PTRACE_O_EXITKILL} is never used: killing pyspy must
 * not kill the target. If pyspy dies, even by SIGKILL, the kernel detaches every tracee and
 * resumes it.
 *
 * <p>Signals and job control follow ptrace(2): a signal that arrives while traced shows up as a
 * signal-delivery-stop and is handed back on detach; a thread in a group-stop (SIGSTOP, SIGTSTP,
 * ...) goes back to it when detached, so a target stopped for its own reasons stays stopped, while
 * pyspy itself does not leave a thread stopped once {@link #resume()} or {@link #detach()} returns.
 * Detaching also drops an interrupt still pending, so no stray stop follows a resume.
 *
 * <p><b>Threading:</b> in Linux the tracer is a <em>thread</em>, not a process: every ptrace
 * request for a tracee must come from the thread that seized it, and the tracees are detached
 * automatically when that thread ends. An instance therefore belongs to the thread that created
 * it; calls from any other thread throw {@link IllegalStateException}. That thread must stay
 * alive until {@link #detach()}. It must also not start children with {@code ProcessBuilder}:
 * collecting stop notifications ({@code waitpid(-1, __WALL|__WNOTHREAD)}) can also reap its own
 * children; those reaped are handed to {@link ChildProcess}, but not to Java's process reaper.
 * Nor may a target be a {@code ProcessBuilder} child of any thread of pyspy's process: Java's
 * reaper waits for it, and a tracer in the same process makes the kernel report the target's main
 * thread's ptrace stops to that wait too, where they are lost.
 */
public final class ThreadPauser implements AutoCloseable {

    private static final Log LOG = Log.of(ThreadPauser.class);

    private static final long DEFAULT_STOP_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long DETACH_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final int pid;
    private final Thread owner;
    private final Tracees tracees;
    private final StopEvents events;
    private final NewThreads newThreads;
    private long stopTimeoutNanos = DEFAULT_STOP_TIMEOUT_NANOS;
    private boolean attached;
    /** Between interrupt() and resume(): stopped threads are being sampled and stay stopped. */
    private boolean paused;
    private int[] stopped = new int[0];
    /** Set by {@link #leaveBlockedThreadsRunning()}; null: every thread is stopped. */
    private ParkedThreads parked;

    private ThreadPauser(int pid) {
        this.pid = pid;
        this.owner = Thread.currentThread();
        this.tracees = new Tracees(pid, tid -> {
            if (parked != null) {
                parked.forget(tid);
            }
        });
        this.events = new StopEvents(tracees);
        this.newThreads = new NewThreads(tracees, events);
        LibC.preciseSleeps();
    }

    /**
     * Seizes every thread of {@code pid} without stopping it (repeated pauses). Fails with
     * NO_SUCH_PROCESS or PERMISSION_DENIED (including when another debugger traces the process).
     */
    public static ThreadPauser attach(int pid) throws PyspyException {
        ProcFs.requireExists(pid);
        ThreadPauser p = new ThreadPauser(pid);
        p.events.register();
        p.attached = true;
        try {
            p.newThreads.seizeAll();
        } catch (PyspyException | RuntimeException e) {
            p.detach();
            throw e;
        }
        return p;
    }

    /** Seizes and stops every thread of {@code pid} (one-shot mode); undo with {@link #resumeAll()}. */
    public static ThreadPauser pauseAll(int pid) throws PyspyException {
        ThreadPauser p = attach(pid);
        p.setStopTimeout(TimeUnit.SECONDS.toNanos(2));
        p.interrupt();
        if (p.tracees.exited()) {
            p.detach();
            throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " exited");
        }
        return p;
    }

    public int pid() {
        return pid;
    }

    /**
     * From now on, {@link #interrupt()} leaves a thread that is blocked in the kernel, off the CPU,
     * running (see {@link ParkedThreads}); {@link #confirmParked()} then says, after the read,
     * whether such a thread ran after all. Where the kernel cannot tell, every thread is stopped.
     */
    public void leaveBlockedThreadsRunning() {
        checkOwner();
        if (parked == null) {
            parked = new ParkedThreads(pid, tracees);
        }
    }

    /** How long {@link #interrupt()} waits for a thread to stop before reporting it as running. */
    public void setStopTimeout(long nanos) {
        checkOwner();
        this.stopTimeoutNanos = Math.max(0, nanos);
    }

    /** Whether the whole target process has exited; every call then returns without doing anything. */
    public boolean targetExited() {
        return tracees.exited();
    }

    public boolean isAttached() {
        return attached;
    }

    /** Ids of the threads stopped by the last {@link #interrupt()}, ascending (empty after resume). */
    public int[] stoppedThreads() {
        return stopped.clone();
    }

    /** Threads left running in this pause because they were blocked off the CPU when seen, ascending. */
    int[] parkedThreads() {
        return parked == null ? new int[0] : parked.ids();
    }

    /**
     * Whether thread {@code tid} has not run since the end of the last settled pause: this pause left
     * it running without a look (off the CPU then, and not switched in since), as {@link #confirmParked()}
     * checks after the read; one found to have run is stopped there, and then no longer counts. A read
     * of such a thread made since the last settled pause ended still stands, if the confirmation holds.
     */
    public boolean asleepSinceLastPause(int tid) {
        return paused && parked != null && parked.unread(tid);
    }

    /**
     * Between pauses: whether the last pause left thread {@code tid} asleep unread, and so the next
     * will likely do so again. A guess, for work done before the pause (a warm-up read); nothing read
     * while the target runs may rest on it.
     */
    public boolean leftAsleepInLastPause(int tid) {
        return !paused && parked != null && parked.unread(tid);
    }

    /** Per-thread files read to tell the threads left running asleep (schedstat, syscall), so far. */
    long offCpuReads() {
        return parked == null ? 0 : parked.reads();
    }

    /** Checks so far that read every thread left running one by one (the process's total could not answer). */
    long oneByOneChecks() {
        return parked == null ? 0 : parked.oneByOneChecks();
    }

    /** Number of threads currently traced. */
    public int tracedThreadCount() {
        return tracees.size();
    }

    /**
     * Stops every thread of the target: seizes again the threads the last resume let go, interrupts
     * them and those still seized, seizes and interrupts threads created since, and waits for each
     * to stop, until the kernel's thread count says no thread is unknown. A thread that does not
     * stop within the stop timeout (for example one blocked in uninterruptible sleep) is left out
     * of the result and is not waited for again.
     *
     * @return ids of the stopped threads, ascending; empty if the target exited
     */
    public int[] interrupt() {
        checkOwner();
        if (!attached || tracees.exited()) {
            return stopped = new int[0];
        }
        boolean interruptedFlag = Thread.interrupted();
        try {
            paused = true;
            // Threads already in an unseen ptrace-stop must not get PTRACE_INTERRUPT: on a stopped
            // thread it queues another stop, which would stop the thread again right after resume.
            events.drain();
            if (parked != null) {
                parked.startPause();
            }
            for (Iterator<Tracee> it = tracees.all().iterator(); it.hasNext(); ) {
                Tracee t = it.next();
                // only a thread let go is left asleep: a seized one would stop for every signal it got
                boolean alive = t.state != State.DETACHED || (parked != null && parked.park(t)) || tracees.reseize(t);
                if (alive && t.state == State.RUNNING) {
                    alive = tracees.interrupt(t);
                }
                if (!alive) {
                    tracees.forget(it, t);
                }
            }
            newThreads.stopAll(System.nanoTime() + stopTimeoutNanos);
            tracees.markLagging();
            return stopped = tracees.stoppedIds();
        } finally {
            if (interruptedFlag) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * After reading the paused target: true when every thread {@link #interrupt()} left running (see
     * {@link #leaveBlockedThreadsRunning()}) stayed off the CPU since, and so no thread was created
     * either. Otherwise those that ran are stopped now, and so are the threads started meanwhile;
     * what was read of them may be torn: false, and the caller reads again and asks again (the
     * others may run during the second read); each false stops at least one more thread.
     */
    public boolean confirmParked() {
        checkOwner();
        if (parked == null || parked.isEmpty() || !paused || tracees.exited()) {
            if (parked != null) {
                parked.clear();
                parked.dropBaseline();
            }
            return true;
        }
        // the count first: a thread left running that is still there after it was alive when counted
        int count = newThreads.count();
        List<Tracee> ran = parked.ranSince(tracees, !newThreads.differs(count));
        if (ran == null && !newThreads.differs(count)) {
            parked.settle();
            return true;
        }
        int stoppedBefore = tracees.count(State.STOPPED);
        boolean interruptedFlag = Thread.interrupted();
        try {
            if (ran != null) {
                for (Tracee t : ran) {
                    if (!tracees.reseize(t) || (t.state == State.RUNNING && !tracees.interrupt(t))) {
                        tracees.forget(t.tid);
                    }
                }
            }
            newThreads.stopAll(System.nanoTime() + stopTimeoutNanos);
            tracees.markLagging();
            stopped = tracees.stoppedIds();
            // nothing more stopped (a count that stays off, a new thread that did not stop in time): the read stands
            return ran == null && stopped.length <= stoppedBefore;
        } finally {
            if (interruptedFlag) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Lets every thread stopped by pyspy go: detached, handing back the signal of a
     * signal-delivery-stop; a group-stopped thread goes back to its group-stop.
     */
    public void resume() {
        checkOwner();
        stopped = new int[0];
        paused = false;
        if (parked != null) {
            parked.clear();
        }
        if (!attached) {
            return;
        }
        for (Tracee t : tracees.all()) {
            if (t.state == State.STOPPED) {
                tracees.release(t);
            }
        }
        // Stops that arrived meanwhile (a thread lagging behind) must not keep the thread stopped.
        pollEvents();
    }

    /**
     * Whether a thread is still seized while the target runs (one that did not stop in time, or
     * one seized but not yet paused): until it is let go, a signal sent to it stops it until
     * {@link #pollEvents()} (or the next pause) passes it on.
     */
    public boolean holdsRunningThreads() {
        if (!attached || tracees.exited()) {
            return false;
        }
        for (Tracee t : tracees.all()) {
            if (t.state == State.RUNNING || t.state == State.STOPPING || t.state == State.LAGGING) {
                return true;
            }
        }
        return false;
    }

    /**
     * Lets go of threads that stopped while the target was meant to run (a late stop, a signal
     * to a thread still seized). Cheap (one non-blocking waitpid when nothing happened); call it
     * while idle between samples as long as {@link #holdsRunningThreads()}.
     */
    public void pollEvents() {
        checkOwner();
        if (!attached) {
            return;
        }
        for (int i = 0; i < 10_000; i++) {
            Tracee t = events.next();
            if (t == null) {
                break;
            }
            // While paused, stopped threads are being sampled; resume() lets them all go.
            if (t.state == State.STOPPED && !paused) {
                tracees.release(t);
            }
        }
    }

    /** {@link #detach()}: the one-shot mode's name for it. */
    public void resumeAll() {
        detach();
    }

    /**
     * Detaches from every thread, which then runs as if never traced (a pending signal is handed
     * back; a group-stopped thread stays stopped). Threads that exited are skipped. Idempotent.
     */
    public void detach() {
        checkOwner();
        if (!attached) {
            return;
        }
        boolean interruptedFlag = Thread.interrupted();
        try {
            if (!tracees.exited()) {
                // PTRACE_DETACH needs a thread in ptrace-stop: stop the seized running ones first.
                events.drain();
                for (Iterator<Tracee> it = tracees.all().iterator(); it.hasNext(); ) {
                    Tracee t = it.next();
                    if (t.state == State.RUNNING && !tracees.interrupt(t)) {
                        it.remove(); // gone
                    } else if (t.state == State.LAGGING) {
                        t.state = State.STOPPING;
                    }
                }
                events.awaitStops(System.nanoTime() + DETACH_TIMEOUT_NANOS);
                for (Tracee t : tracees.all()) {
                    if (t.state == State.STOPPED) {
                        tracees.release(t);
                    } else if (t.state != State.ZOMBIE && t.state != State.DETACHED) {
                        LOG.warn("thread {} of process {} did not stop; it stays traced until this thread ends",
                                t.tid, pid);
                    }
                }
            }
            tracees.clear();
            if (parked != null) {
                parked.close();
            }
            stopped = new int[0];
            attached = false;
            paused = false;
            events.unregister();
        } finally {
            if (interruptedFlag) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Same as {@link #detach()}. */
    @Override
    public void close() {
        detach();
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("ThreadPauser for pid " + pid + " belongs to thread '" + owner.getName()
                    + "': ptrace requests must come from the thread that seized the tracees");
        }
    }

    @Override
    public String toString() {
        return "ThreadPauser[pid=" + pid + ", threads=" + tracees.size() + (tracees.exited() ? ", exited" : "") + "]";
    }
}
