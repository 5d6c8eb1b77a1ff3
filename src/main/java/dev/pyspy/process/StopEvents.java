package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import dev.pyspy.process.Tracee.State;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The stop notifications of the tracer thread's tracees: {@code waitpid(-1, __WALL | __WNOTHREAD
 * | WNOHANG)} and waiting for interrupted threads to stop. One tracer thread may trace several
 * processes (one {@link Tracees} each, registered here per thread): a notification is applied to
 * the process it concerns, whichever of them is waiting; one about none of them is a child of the
 * tracer thread (a {@link ChildProcess}), whose exit status is kept in {@link ExitStatuses}.
 */
final class StopEvents {

    /** The processes traced by the current thread. */
    private static final ThreadLocal<List<Tracees>> OWNED = ThreadLocal.withInitial(ArrayList::new);

    private static final int WAIT_ANY = LibC.__WALL | LibC.__WNOTHREAD | LibC.WNOHANG;
    /** How long {@link #awaitStops} polls without sleeping before it backs off. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** Returned for a notification about another process, so that callers count it as progress. */
    private static final Tracee FOREIGN = new Tracee(-1);

    private final Tracees self;
    private final com.sun.jna.Memory status = new com.sun.jna.Memory(4);

    StopEvents(Tracees self) {
        this.self = self;
    }

    void register() {
        OWNED.get().add(self);
    }

    void unregister() {
        OWNED.get().remove(self);
    }

    /** Consumes every pending notification; returns how many there were. */
    int drain() {
        int n = 0;
        for (int i = 0; i < 100_000; i++) {
            if (next() == null) {
                return n;
            }
            n++;
        }
        return n;
    }

    /**
     * One non-blocking wait: applies the notification to the process it concerns and returns
     * this process's tracee it was about (a placeholder for another process's); null when nothing
     * is pending.
     */
    Tracee next() {
        int who;
        try {
            status.setInt(0, 0);
            who = LibC.waitpid(-1, status, WAIT_ANY);
        } catch (LastErrorException e) {
            // ECHILD: nothing left to wait for (all tracees gone).
            if (e.getErrorCode() == LibC.ECHILD && self.size() > 0) {
                self.checkExited();
            }
            return null;
        }
        if (who <= 0) {
            return null;
        }
        int st = status.getInt(0);
        Tracees target = ownerOf(who);
        if (target == null) {
            if (WaitStatus.terminated(st)) {
                ExitStatuses.record(who, st); // one of our children, perhaps a ChildProcess
            }
            return FOREIGN;
        }
        Tracee t = target.apply(who, st);
        return target == self && t != null ? t : FOREIGN;
    }

    private Tracees ownerOf(int tid) {
        if (self.owns(tid)) {
            return self;
        }
        for (Tracees p : OWNED.get()) {
            if (p != self && p.owns(tid)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Waits until no thread is STOPPING, or the deadline passes. Polls with WNOHANG rather than
     * blocking: a main thread that exited while others live never reports a stop, and a blocking
     * waitpid would then hang. Such zombies are spotted through /proc.
     */
    void awaitStops(long deadline) {
        long sleep = 0;
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        long nextZombieCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2);
        while (!self.exited()) {
            if (drain() > 0) {
                sleep = 0;
            }
            if (self.count(State.STOPPING) == 0) {
                return;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return;
            }
            if (now - nextZombieCheck >= 0) {
                self.markVanished();
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
}
