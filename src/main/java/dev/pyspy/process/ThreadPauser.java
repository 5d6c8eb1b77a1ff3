package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

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
 * found by re-listing {@code /proc/PID/task} (only when its link count says the number of threads
 * changed); {@code PTRACE_O_TRACECLONE} is not used because it
 * would stop every thread-creating thread until pyspy's next sample. {@code PTRACE_O_EXITKILL} is
 * never used: killing pyspy must not kill the target. If pyspy dies, even by SIGKILL, the kernel
 * detaches every tracee and resumes it.
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
 */
public final class ThreadPauser implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadPauser.class);

    /** Pausers owned by the current thread: stop notifications of one may be reaped by another. */
    private static final ThreadLocal<List<ThreadPauser>> OWNED = ThreadLocal.withInitial(ArrayList::new);

    private static final int WAIT_ANY = LibC.__WALL | LibC.__WNOTHREAD | LibC.WNOHANG;
    /** How long {@link #awaitStops} polls without sleeping before it backs off. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long DEFAULT_STOP_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long DETACH_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Re-listing /proc/PID/task ends after this many rounds even if threads keep appearing. */
    private static final int MAX_SCAN_ROUNDS = 64;

    private enum State {
        /** Let go by the last resume: not traced; seized again by the next interrupt. */
        DETACHED,
        /** Seized and running (as far as pyspy knows). */
        RUNNING,
        /** PTRACE_INTERRUPT sent in this round; waiting for its stop. */
        STOPPING,
        /**
         * Interrupted in an earlier round but its stop was not seen in time (e.g. blocked in
         * uninterruptible sleep). The stop is still due; it is neither re-interrupted nor waited for.
         */
        LAGGING,
        /** In a ptrace-stop that pyspy has seen (reported by waitpid). */
        STOPPED,
        /** Exited but cannot be reaped yet (a main thread whose other threads live on). */
        ZOMBIE
    }

    private static final class Tracee {
        final int tid;
        State state = State.RUNNING;
        /** Signal to re-inject on resume (from a signal-delivery-stop), else 0. */
        int pendingSignal;
        /** The last stop was a group-stop: detach without a signal, and it stays stopped. */
        boolean groupStop;
        /** Left running in this pause (blocked off the CPU): its switch-in count then. */
        long switchesIn;

        Tracee(int tid) {
            this.tid = tid;
        }
    }

    private final int pid;
    private final Thread owner;
    private final Map<Integer, Tracee> tracees = new LinkedHashMap<>();
    private final com.sun.jna.Memory status = new com.sun.jna.Memory(4);
    /** "/proc/PID/task" for statx, and its result (see taskCount). */
    private final com.sun.jna.Memory taskDir;
    private final com.sun.jna.Memory statx = new com.sun.jna.Memory(LibC.STATX_SIZE);
    private long stopTimeoutNanos = DEFAULT_STOP_TIMEOUT_NANOS;
    private boolean attached;
    private boolean exited;
    /** A traced thread was found gone since the task directory was last listed. */
    private boolean threadsGone;
    /** Between interrupt() and resume(): stopped threads are being sampled and stay stopped. */
    private boolean paused;
    private int[] stopped = new int[0];
    /** Set by {@link #leaveBlockedThreadsRunning()}; null: every thread is stopped. */
    private OffCpuCheck offCpu;
    /** Threads left running in this pause because they were blocked off the CPU. */
    private final List<Tracee> parked = new ArrayList<>();

    private ThreadPauser(int pid) {
        this.pid = pid;
        this.owner = Thread.currentThread();
        byte[] dir = ProcFs.procPath(pid, "task").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.taskDir = new com.sun.jna.Memory(dir.length + 1);
        taskDir.write(0, dir, 0, dir.length);
        taskDir.setByte(dir.length, (byte) 0);
        LibC.preciseSleeps();
    }

    /**
     * Seizes every thread of {@code pid} without stopping it (repeated pauses). Fails with
     * NO_SUCH_PROCESS or PERMISSION_DENIED (including when another debugger traces the process).
     */
    public static ThreadPauser attach(int pid) throws PyspyException {
        ProcFs.requireExists(pid);
        ThreadPauser p = new ThreadPauser(pid);
        OWNED.get().add(p);
        p.attached = true;
        try {
            p.seizeAll();
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
        if (p.exited) {
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
     * running: it cannot change memory while it stays so, and stopping it would wake it twice per
     * sample (it must run to reach its stop, and again to go back to sleep), which on a small machine
     * delays the stop of the threads that do run. {@link #confirmParked()} then says, after the read,
     * whether such a thread ran after all. Where the kernel cannot tell, every thread is stopped.
     */
    public void leaveBlockedThreadsRunning() {
        checkOwner();
        if (offCpu == null) {
            offCpu = new OffCpuCheck(pid);
        }
    }

    /** How long {@link #interrupt()} waits for a thread to stop before reporting it as running. */
    public void setStopTimeout(long nanos) {
        checkOwner();
        this.stopTimeoutNanos = Math.max(0, nanos);
    }

    /** Whether the whole target process has exited; every call then returns without doing anything. */
    public boolean targetExited() {
        return exited;
    }

    public boolean isAttached() {
        return attached;
    }

    /** Ids of the threads stopped by the last {@link #interrupt()}, ascending (empty after resume). */
    public int[] stoppedThreads() {
        return stopped.clone();
    }

    /** Number of threads currently traced. */
    public int tracedThreadCount() {
        return tracees.size();
    }

    /**
     * Stops every thread of the target: seizes again the threads the last resume let go, interrupts
     * them and those still seized, seizes and interrupts threads created since, and waits for each
     * to stop, until a re-listing of the task directory finds no new thread. A thread that does
     * not stop within the stop timeout (for example one blocked in uninterruptible sleep) is left
     * out of the result and is not waited for again.
     *
     * @return ids of the stopped threads, ascending; empty if the target exited
     */
    public int[] interrupt() {
        checkOwner();
        if (!attached || exited) {
            return stopped = new int[0];
        }
        boolean interruptedFlag = Thread.interrupted();
        try {
            paused = true;
            // Threads already in an unseen ptrace-stop must not get PTRACE_INTERRUPT: on a stopped
            // thread it queues another stop, which would stop the thread again right after resume.
            drainEvents();
            parked.clear();
            for (Iterator<Tracee> it = tracees.values().iterator(); it.hasNext(); ) {
                Tracee t = it.next();
                // only a thread let go is left asleep: a seized one would stop for every signal it got
                boolean alive = t.state != State.DETACHED || park(t) || reseize(t);
                if (alive && t.state == State.RUNNING) {
                    alive = sendInterrupt(t);
                }
                if (!alive) {
                    it.remove();
                    forgetFiles(t.tid);
                    threadsGone = true;
                }
            }
            stopNewThreads(System.nanoTime() + stopTimeoutNanos);
            markLagging();
            return stopped = collectStopped();
        } finally {
            if (interruptedFlag) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits for the interrupted threads to stop, then seizes and stops the threads that none of
     * them is known as, until the kernel's thread count equals the number of threads known (all
     * alive: an untraced one found gone is dropped, and a traced one's exit is reaped here). A
     * thread that exists then is either stopped or known to be left running.
     *
     * <p>A listing of the task directory can miss threads: the kernel resumes it after the last
     * thread it returned, and when that thread is released meanwhile (a short-lived thread not yet
     * traced) it counts its way from the first thread instead and skips as many threads as exited
     * before. So a listing that finds nothing new while the count still differs is done again
     * rather than believed.
     */
    private void stopNewThreads(long deadline) {
        for (int round = 0; round < MAX_SCAN_ROUNDS && !exited; round++) {
            awaitStops(deadline);
            // The task directory's link count (threads + 2) is one system call; listing it, many.
            // A thread gone since the last look leaves room in the count for a new one unseen.
            if (exited || (taskCount() == tracees.size() && !threadsGone)) {
                return;
            }
            threadsGone = false;
            seizeNew();
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
        if (parked.isEmpty() || !paused || exited) {
            parked.clear();
            return true;
        }
        // the count first: a thread left running and still there after it was alive when counted
        int count = taskCount();
        List<Tracee> ran = null;
        for (Iterator<Tracee> it = parked.iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (tracees.get(t.tid) != t) {
                it.remove(); // gone
            } else if (offCpu.switchesIn(t.tid) != t.switchesIn) {
                if (ran == null) {
                    ran = new ArrayList<>();
                }
                ran.add(t);
                it.remove();
            }
        }
        if (ran == null && count == tracees.size() && !threadsGone) {
            return true;
        }
        int stoppedBefore = countState(State.STOPPED);
        boolean interruptedFlag = Thread.interrupted();
        try {
            if (ran != null) {
                for (Tracee t : ran) {
                    if (!reseize(t) || (t.state == State.RUNNING && !sendInterrupt(t))) {
                        forget(t.tid);
                    }
                }
            }
            stopNewThreads(System.nanoTime() + stopTimeoutNanos);
            markLagging();
            stopped = collectStopped();
            // no more stopped (a count that stays off, a new thread that did not stop in time): read is final
            return ran == null && stopped.length <= stoppedBefore;
        } finally {
            if (interruptedFlag) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Threads left running in this pause because they were blocked off the CPU when seen, ascending. */
    int[] parkedThreads() {
        int[] tids = new int[parked.size()];
        for (int i = 0; i < tids.length; i++) {
            tids[i] = parked.get(i).tid;
        }
        Arrays.sort(tids);
        return tids;
    }

    /**
     * Leaves a thread let go by the last resume out of this pause when it is blocked off the CPU:
     * its switch-in count is read first, so an unchanged count later means it has not run since it
     * was seen blocked.
     * A thread on the CPU costs one read; a blocked one three.
     */
    private boolean park(Tracee t) {
        if (offCpu == null || !offCpu.blocked(t.tid)) {
            return false;
        }
        long switches = offCpu.switchesIn(t.tid);
        if (switches < 0 || !offCpu.blocked(t.tid)) {
            return false;
        }
        t.switchesIn = switches;
        parked.add(t);
        return true;
    }

    /** Threads that missed the stop deadline are sampled running; their stop is picked up later. */
    private void markLagging() {
        for (Tracee t : tracees.values()) {
            if (t.state == State.STOPPING) {
                LOG.debug("thread {} of {} did not stop in time", t.tid, pid);
                t.state = State.LAGGING;
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
        parked.clear();
        if (!attached) {
            return;
        }
        for (Tracee t : tracees.values()) {
            if (t.state == State.STOPPED) {
                release(t);
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
        if (!attached || exited) {
            return false;
        }
        for (Tracee t : tracees.values()) {
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
            Tracee t = nextEvent();
            if (t == null) {
                break;
            }
            // While paused, stopped threads are being sampled; resume() lets them all go.
            if (t.state == State.STOPPED && !paused) {
                release(t);
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
            if (!exited) {
                // PTRACE_DETACH needs a thread in ptrace-stop: stop the seized running ones first.
                drainEvents();
                for (Iterator<Tracee> it = tracees.values().iterator(); it.hasNext(); ) {
                    Tracee t = it.next();
                    if (t.state == State.RUNNING && !sendInterrupt(t)) {
                        it.remove(); // gone
                    } else if (t.state == State.LAGGING) {
                        t.state = State.STOPPING;
                    }
                }
                awaitStops(System.nanoTime() + DETACH_TIMEOUT_NANOS);
                for (Tracee t : tracees.values()) {
                    if (t.state == State.STOPPED) {
                        release(t);
                    } else if (t.state != State.ZOMBIE && t.state != State.DETACHED) {
                        LOG.warn("thread {} of process {} did not stop; it stays traced until this thread ends",
                                t.tid, pid);
                    }
                }
            }
            forgetAll();
            stopped = new int[0];
            attached = false;
            paused = false;
            OWNED.get().remove(this);
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

    // ---------------------------------------------------------------------------------------------

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("ThreadPauser for pid " + pid + " belongs to thread '" + owner.getName()
                    + "': ptrace requests must come from the thread that seized the tracees");
        }
    }

    /** Seizes the threads listed now, then re-lists until no new thread shows up. */
    private void seizeAll() throws PyspyException {
        int seized = 0;
        for (int round = 0; round < MAX_SCAN_ROUNDS; round++) {
            int[] tids = ProcFs.threadIds(pid);
            int before = tracees.size();
            for (int tid : tids) {
                if (!tracees.containsKey(tid)) {
                    seize(tid, false, true);
                }
            }
            seized += tracees.size() - before;
            if (tracees.size() == before) {
                break;
            }
        }
        if (seized == 0) {
            if (ProcFs.exists(pid) && ProcFs.isZombie(pid)) {
                throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " has exited (zombie)");
            }
            if (!ProcFs.exists(pid)) {
                throw ProcFs.noSuchProcess(pid);
            }
        }
    }

    /**
     * The number of threads the kernel lists for the target (exited ones not yet reaped included,
     * as in {@link #tracees}); -1 when it cannot tell.
     */
    private int taskCount() {
        try {
            LibC.statx(LibC.AT_FDCWD, taskDir, 0, LibC.STATX_NLINK, statx);
            return statx.getInt(LibC.STATX_NLINK_OFFSET) - 2;
        } catch (LastErrorException e) {
            return -1;
        }
    }

    /**
     * Seizes (and interrupts) the listed threads not yet known, and drops the known untraced ones
     * that are not listed: let go by the last resume and left asleep, they exited unseen.
     */
    private void seizeNew() {
        int[] tids;
        try {
            tids = ProcFs.threadIds(pid);
        } catch (PyspyException e) {
            checkExited();
            return;
        }
        for (Iterator<Tracee> it = tracees.values().iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (t.state == State.DETACHED && Arrays.binarySearch(tids, t.tid) < 0) {
                it.remove();
                forgetFiles(t.tid);
            }
        }
        for (int tid : tids) {
            if (!tracees.containsKey(tid)) {
                try {
                    seize(tid, true, false);
                } catch (PyspyException e) {
                    LOG.debug("cannot seize new thread {}: {}", tid, e.getMessage());
                }
            }
        }
    }

    /**
     * PTRACE_SEIZE one thread (no options: in particular not PTRACE_O_EXITKILL). Threads that
     * vanished are skipped; a zombie main thread is recorded so it is not retried.
     *
     * <p>Only the main thread is kept as a zombie: it stays listed in the task directory as long as
     * the process lives, while another thread that is not traced is released as it dies. A dead
     * thread kept in {@link #tracees} after it left the directory would make the thread count in
     * {@link #interrupt()} match while a thread created meanwhile was still untraced, and that thread
     * would run through the pause.
     */
    private boolean seize(int tid, boolean interruptIt, boolean strict) throws PyspyException {
        try {
            LibC.ptrace(LibC.PTRACE_SEIZE, tid, 0L, 0L);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == LibC.ESRCH) {
                return false;
            }
            if (errno == LibC.EPERM) {
                char state = threadStateOrZero(tid);
                if (state == 0 || state == 'Z' || state == 'X') {
                    if (state != 0 && tid == pid) {
                        Tracee z = new Tracee(tid);
                        z.state = State.ZOMBIE;
                        tracees.put(tid, z);
                    }
                    return false;
                }
                int tracer = ProcFs.threadTracerPid(pid, tid);
                if (tracer != 0) {
                    throw new PyspyException(ExitCode.PERMISSION_DENIED, "process " + pid
                            + " is already being traced by process " + ProcFs.threadGroupId(tracer)
                            + " (a debugger?); detach it first");
                }
                if (strict) {
                    throw RemoteMemory.permissionDenied(pid);
                }
                throw new PyspyException(ExitCode.PERMISSION_DENIED, "cannot trace thread " + tid);
            }
            throw new PyspyException(ExitCode.ERROR, "ptrace(PTRACE_SEIZE, " + tid + "): " + LibC.strerror(errno));
        }
        Tracee t = new Tracee(tid);
        tracees.put(tid, t);
        if (interruptIt && !sendInterrupt(t)) {
            forget(tid);
            return false;
        }
        return true;
    }

    /** PTRACE_INTERRUPT; false when the thread is gone (the caller forgets it). */
    private boolean sendInterrupt(Tracee t) {
        try {
            LibC.ptrace(LibC.PTRACE_INTERRUPT, t.tid, 0L, 0L);
            t.state = State.STOPPING;
            return true;
        } catch (LastErrorException e) {
            // ESRCH: the thread is gone; its exit, if reportable, arrives through waitpid.
            if (e.getErrorCode() != LibC.ESRCH) {
                LOG.debug("PTRACE_INTERRUPT {}: {}", t.tid, LibC.strerror(e.getErrorCode()));
            }
            return false;
        }
    }

    /**
     * Detaches a stopped thread: it runs untraced, with the signal of a signal-delivery-stop handed
     * back; from a group-stop it goes back to the group-stop (the kernel re-arms it on detach).
     */
    private void release(Tracee t) {
        try {
            LibC.ptrace(LibC.PTRACE_DETACH, t.tid, 0L, t.groupStop ? 0L : t.pendingSignal);
            t.state = State.DETACHED;
        } catch (LastErrorException e) {
            // ESRCH: killed while stopped (SIGKILL wakes tracees); still traced, its exit is reported later.
            if (e.getErrorCode() != LibC.ESRCH) {
                LOG.warn("cannot detach from thread {}: {}", t.tid, LibC.strerror(e.getErrorCode()));
            }
            t.state = State.RUNNING;
        }
        t.pendingSignal = 0;
    }

    /**
     * Seizes again a thread let go by the last resume; false when it is gone (the caller forgets
     * it). One that exited but is not reaped becomes a zombie; one that cannot be seized (a debugger
     * took it meanwhile) stays let go and is read running.
     */
    private boolean reseize(Tracee t) {
        if (t.state != State.DETACHED) {
            return true;
        }
        try {
            LibC.ptrace(LibC.PTRACE_SEIZE, t.tid, 0L, 0L);
            t.state = State.RUNNING;
            return true;
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            char state = errno == LibC.ESRCH ? 0 : threadStateOrZero(t.tid);
            if (state == 'Z' || state == 'X') {
                if (t.tid != pid) {
                    return false; // untraced, it leaves the task directory at once (see seize)
                }
                t.state = State.ZOMBIE;
            } else if (state != 0) {
                LOG.debug("cannot seize thread {} again: {}", t.tid, LibC.strerror(errno));
            }
            return state != 0;
        }
    }

    /**
     * Waits until no thread is STOPPING, or the deadline passes. Polls with WNOHANG rather than
     * blocking: a main thread that exited while others live never reports a stop, and a blocking
     * waitpid would then hang. Such zombies are spotted through /proc.
     */
    private void awaitStops(long deadline) {
        long sleep = 0;
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        long nextZombieCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2);
        while (!exited) {
            if (drainEvents() > 0) {
                sleep = 0;
            }
            if (countState(State.STOPPING) == 0) {
                return;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return;
            }
            if (now - nextZombieCheck >= 0) {
                markVanished();
                nextZombieCheck = now + TimeUnit.MILLISECONDS.toNanos(10);
                continue;
            }
            // The target stays stopped while we wait, so poll hard at first: a running thread
            // usually stops within tens of microseconds. Then short sleeps (precise: see
            // LibC.preciseSleeps), never long ones: a thread waiting for a CPU on a busy machine
            // stops late, and every microsecond slept past its stop pauses the others too.
            if (now - spinUntil < 0) {
                Thread.onSpinWait();
            } else {
                sleep = sleep == 0 ? 10_000 : Math.min(sleep * 2, 100_000);
                LockSupport.parkNanos(sleep);
            }
        }
    }

    /** Threads still STOPPING that are zombies or gone will never stop. */
    private void markVanished() {
        Iterator<Tracee> it = tracees.values().iterator();
        while (it.hasNext()) {
            Tracee t = it.next();
            if (t.state != State.STOPPING) {
                continue;
            }
            char s = threadStateOrZero(t.tid);
            if (s == 0) {
                it.remove();
                forgetFiles(t.tid);
                threadsGone = true;
            } else if (s == 'Z' || s == 'X') {
                t.state = State.ZOMBIE;
            }
        }
        checkExited();
    }

    private char threadStateOrZero(int tid) {
        try {
            return ProcFs.threadState(pid, tid);
        } catch (PyspyException e) {
            return 0;
        }
    }

    private void checkExited() {
        if (!ProcFs.exists(pid)) {
            markExited();
        }
    }

    private void markExited() {
        exited = true;
        forgetAll();
    }

    /** Consumes every pending wait notification; returns how many concerned this pauser. */
    private int drainEvents() {
        int n = 0;
        for (int i = 0; i < 100_000; i++) {
            Tracee t = nextEvent();
            if (t == null) {
                return n;
            }
            n++;
        }
        return n;
    }

    /**
     * One non-blocking {@code waitpid(-1, __WALL | __WNOTHREAD)}: applies the event to the tracee it
     * concerns (this pauser's or a sibling's on the same thread) and returns this pauser's tracee,
     * or a placeholder for foreign events; null when nothing is pending.
     */
    private Tracee nextEvent() {
        int who;
        try {
            status.setInt(0, 0);
            who = LibC.waitpid(-1, status, WAIT_ANY);
        } catch (LastErrorException e) {
            // ECHILD: nothing left to wait for (all tracees gone).
            if (e.getErrorCode() == LibC.ECHILD && !tracees.isEmpty()) {
                checkExited();
            }
            return null;
        }
        if (who <= 0) {
            return null;
        }
        int st = status.getInt(0);
        ThreadPauser target = ownerOf(who);
        if (target == null) {
            if (WaitStatus.terminated(st)) {
                ExitStatuses.record(who, st); // one of our children, perhaps a ChildProcess
            }
            return FOREIGN;
        }
        Tracee t = target.apply(who, st);
        return target == this && t != null ? t : FOREIGN;
    }

    private static final Tracee FOREIGN = new Tracee(-1);

    private ThreadPauser ownerOf(int tid) {
        if (tracees.containsKey(tid) || tid == pid) {
            return this;
        }
        for (ThreadPauser p : OWNED.get()) {
            if (p != this && (p.tracees.containsKey(tid) || p.pid == tid)) {
                return p;
            }
        }
        return null;
    }

    /** Updates a tracee from a wait status; returns it if it is still traced and stopped. */
    private Tracee apply(int tid, int st) {
        if (WaitStatus.terminated(st)) {
            forget(tid);
            if (tid == pid) {
                // The main thread's exit is reported only once the whole process is gone.
                ExitStatuses.record(tid, st);
                markExited();
            }
            return null;
        }
        Tracee t = tracees.get(tid);
        if (t == null || !WaitStatus.stopped(st)) {
            return null;
        }
        int sig = WaitStatus.stopSignal(st);
        int event = WaitStatus.ptraceEvent(st);
        if (event == LibC.PTRACE_EVENT_STOP) {
            // Interrupt stop (SIGTRAP) or group-stop (a stopping signal): nothing to re-inject.
            t.groupStop = sig == LibC.SIGSTOP || sig == LibC.SIGTSTP || sig == LibC.SIGTTIN || sig == LibC.SIGTTOU;
            t.pendingSignal = 0;
        } else if (event == 0) {
            // Signal-delivery-stop: the target was sent `sig`; hand it over on restart.
            t.groupStop = false;
            t.pendingSignal = sig;
        } else {
            t.groupStop = false;
            t.pendingSignal = 0;
        }
        t.state = State.STOPPED;
        return t;
    }

    private void forget(int tid) {
        if (tracees.remove(tid) != null) {
            threadsGone = true;
        }
        forgetFiles(tid);
    }

    private void forgetFiles(int tid) {
        if (offCpu != null) {
            offCpu.forget(tid);
        }
    }

    private void forgetAll() {
        tracees.clear();
        parked.clear();
        if (offCpu != null) {
            offCpu.close();
        }
    }

    private int countState(State s) {
        int n = 0;
        for (Tracee t : tracees.values()) {
            if (t.state == s) {
                n++;
            }
        }
        return n;
    }

    private int[] collectStopped() {
        int[] out = new int[tracees.size()];
        int n = 0;
        for (Tracee t : tracees.values()) {
            if (t.state == State.STOPPED) {
                out[n++] = t.tid;
            }
        }
        int[] result = Arrays.copyOf(out, n);
        Arrays.sort(result);
        return result;
    }

    @Override
    public String toString() {
        return "ThreadPauser[pid=" + pid + ", threads=" + tracees.size() + (exited ? ", exited" : "") + "]";
    }
}
