package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.Tracee.State;
import dev.pyspy.util.Log;

import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The threads of one process that a {@link ThreadPauser} knows, and the ptrace request on each one
 * (seize, interrupt, detach) with what its answer means; the wait statuses {@link StopEvents}
 * collects are applied here too. Whether the whole process exited is decided here.
 *
 * <p>Only the main thread is kept after it died (as a zombie): it stays listed in the task
 * directory as long as the process lives, while another thread that is not traced is released as it
 * dies. A dead thread kept after it left the directory would make the thread count match while a
 * thread created meanwhile was still untraced, and that thread would run through the pause.
 */
final class Tracees {

    private static final Log LOG = Log.of(Tracees.class);
    /** Threads still stopping beyond which {@link #markVanished()} looks at the main thread only. */
    private static final int MAX_VANISHED_CHECKS = 64;

    private final int pid;
    private final Map<Integer, Tracee> byTid = new LinkedHashMap<>();
    /** Told the id of every thread forgotten (gone), to close what it kept open for it. */
    private final IntConsumer onForget;
    private boolean exited;
    /** A known thread was found gone since the task directory was last listed. */
    boolean threadsGone;
    /** Counts every thread added or forgotten: the same value, the same threads. */
    private long changes;

    Tracees(int pid, IntConsumer onForget) {
        this.pid = pid;
        this.onForget = onForget;
    }

    int pid() {
        return pid;
    }

    boolean exited() {
        return exited;
    }

    int size() {
        return byTid.size();
    }

    /** Changes whenever a thread is added or forgotten. */
    long changes() {
        return changes;
    }

    Tracee get(int tid) {
        return byTid.get(tid);
    }

    /** Whether a wait status about {@code tid} is this process's. */
    boolean owns(int tid) {
        return tid == pid || byTid.containsKey(tid);
    }

    /** Live view; remove through its iterator with {@link #forget(Iterator, Tracee)}. */
    Collection<Tracee> all() {
        return byTid.values();
    }

    int count(State s) {
        int n = 0;
        for (Tracee t : byTid.values()) {
            if (t.state == s) {
                n++;
            }
        }
        return n;
    }

    /** Ids of the threads in a ptrace stop pyspy has seen, ascending. */
    int[] stoppedIds() {
        int[] out = new int[byTid.size()];
        int n = 0;
        for (Tracee t : byTid.values()) {
            if (t.state == State.STOPPED) {
                out[n++] = t.tid;
            }
        }
        int[] result = Arrays.copyOf(out, n);
        Arrays.sort(result);
        return result;
    }

    /**
     * PTRACE_SEIZE one thread (no options: in particular not PTRACE_O_EXITKILL, and not
     * PTRACE_O_TRACECLONE: its clone stops would hold every thread-creating thread until pyspy
     * passed them on), then PTRACE_INTERRUPT when asked. Threads that vanished are skipped; a
     * zombie main thread is recorded so it is not retried. {@code strict}: a refusal is the
     * caller's error (attaching), not a thread to skip.
     */
    boolean seize(int tid, boolean interruptIt, boolean strict) throws PyspyException {
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
                        byTid.put(tid, z);
                        changes++;
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
        byTid.put(tid, t);
        changes++;
        if (interruptIt && !interrupt(t)) {
            forget(tid);
            return false;
        }
        return true;
    }

    /**
     * Seizes again a thread let go by the last resume; false when it is gone (the caller forgets
     * it). One that exited but is not reaped becomes a zombie; one that cannot be seized (a debugger
     * took it meanwhile) stays let go and is read running.
     */
    boolean reseize(Tracee t) {
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
                    return false; // untraced, it leaves the task directory at once (see the class comment)
                }
                t.state = State.ZOMBIE;
            } else if (state != 0) {
                LOG.debug("cannot seize thread {} again: {}", t.tid, LibC.strerror(errno));
            }
            return state != 0;
        }
    }

    /** PTRACE_INTERRUPT; false when the thread is gone (the caller forgets it). */
    boolean interrupt(Tracee t) {
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
     * Detaching also drops an interrupt still pending, so no stray stop follows.
     */
    void release(Tracee t) {
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

    /** Updates a tracee from a wait status; returns it if it is still traced and stopped. */
    Tracee apply(int tid, int st) {
        if (WaitStatus.terminated(st)) {
            forget(tid);
            if (tid == pid) {
                // The main thread's exit is reported only once the whole process is gone.
                ExitStatuses.record(tid, st);
                markExited();
            }
            return null;
        }
        Tracee t = byTid.get(tid);
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

    /** Threads that missed the stop deadline are sampled running; their stop is picked up later. */
    void markLagging() {
        for (Tracee t : byTid.values()) {
            if (t.state == State.STOPPING) {
                LOG.debug("thread {} of {} did not stop in time", t.tid, pid);
                t.state = State.LAGGING;
            }
        }
    }

    /**
     * Threads still STOPPING that are zombies or gone will never stop. A thread pyspy traces reports
     * its exit through waitpid, all but a main thread that exited while others live: so beyond a
     * few threads only the main thread is looked at (one /proc read each, and this runs every 10 ms
     * while waiting; a thread missed here is waited for until the deadline only).
     */
    void markVanished() {
        boolean all = count(State.STOPPING) <= MAX_VANISHED_CHECKS;
        for (Iterator<Tracee> it = byTid.values().iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (t.state != State.STOPPING || (!all && t.tid != pid)) {
                continue;
            }
            char s = threadStateOrZero(t.tid);
            if (s == 0) {
                forget(it, t);
            } else if (s == 'Z' || s == 'X') {
                t.state = State.ZOMBIE;
            }
        }
        checkExited();
    }

    void forget(int tid) {
        if (byTid.remove(tid) != null) {
            threadsGone = true;
            changes++;
        }
        onForget.accept(tid);
    }

    /** Forgets {@code t}, the iterator's current element. */
    void forget(Iterator<Tracee> it, Tracee t) {
        it.remove();
        threadsGone = true;
        changes++;
        onForget.accept(t.tid);
    }

    void clear() {
        byTid.clear();
        changes++;
    }

    void checkExited() {
        if (!ProcFs.exists(pid)) {
            markExited();
        }
    }

    private void markExited() {
        exited = true;
        byTid.clear();
        changes++;
    }

    char threadStateOrZero(int tid) {
        try {
            return ProcFs.threadState(pid, tid);
        } catch (PyspyException e) {
            return 0;
        }
    }
}
