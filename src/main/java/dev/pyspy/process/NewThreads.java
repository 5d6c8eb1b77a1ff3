package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.util.Log;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Finds the threads of a process that pyspy does not know yet, and seizes them. The task
 * directory's link count (threads + 2) is one system call; listing the directory, many: it is
 * listed only when the count differs from the threads known, or a known one was found gone (an exit
 * and a new thread cancel out in the count).
 *
 * <p>A listing can miss threads: the kernel resumes it after the last thread it returned, and when
 * that thread was released meanwhile (a short-lived thread not yet traced) it counts its way from
 * the first thread instead, skipping as many threads as exited before. So a listing that finds
 * nothing new while the count still differs is done again rather than believed.
 */
final class NewThreads {

    private static final Log LOG = Log.of(NewThreads.class);

    /** Re-listing /proc/PID/task ends after this many rounds even if threads keep appearing. */
    private static final int MAX_SCAN_ROUNDS = 64;

    private final Tracees tracees;
    private final StopEvents events;
    /** "/proc/PID/task" for statx, and its result (see count). */
    private final com.sun.jna.Memory taskDir;
    private final com.sun.jna.Memory statx = new com.sun.jna.Memory(LibC.STATX_SIZE);

    NewThreads(Tracees tracees, StopEvents events) {
        this.tracees = tracees;
        this.events = events;
        byte[] dir = ProcFs.procPath(tracees.pid(), "task").toString().getBytes(StandardCharsets.UTF_8);
        this.taskDir = new com.sun.jna.Memory(dir.length + 1);
        taskDir.write(0, dir, 0, dir.length);
        taskDir.setByte(dir.length, (byte) 0);
    }

    /** Seizes (without stopping) the threads listed now, then re-lists until no new thread shows up. */
    void seizeAll() throws PyspyException {
        int pid = tracees.pid();
        int seized = 0;
        for (int round = 0; round < MAX_SCAN_ROUNDS; round++) {
            int before = tracees.size();
            for (int tid : ProcFs.threadIds(pid)) {
                if (tracees.get(tid) == null) {
                    tracees.seize(tid, false, true);
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
     * Waits for the interrupted threads to stop, then seizes and stops the threads not known, until
     * the kernel's thread count equals the number of threads known (the traced ones are alive or
     * not reaped yet; an untraced one found gone is dropped). A thread that exists then is stopped,
     * or known and left running by the caller.
     */
    void stopAll(long deadline) {
        for (int round = 0; round < MAX_SCAN_ROUNDS && !tracees.exited(); round++) {
            events.awaitStops(deadline);
            if (tracees.exited() || !differs(count())) {
                return;
            }
            tracees.threadsGone = false;
            seizeNew();
        }
    }

    /** True when {@code count}, read earlier, says a thread may be unknown. */
    boolean differs(int count) {
        return count != tracees.size() || tracees.threadsGone;
    }

    /**
     * The number of threads the kernel lists for the target (exited ones not yet reaped included,
     * as in {@link Tracees}); -1 when it cannot tell.
     */
    int count() {
        try {
            LibC.statx(LibC.AT_FDCWD, taskDir, 0, LibC.STATX_NLINK, statx);
            return statx.getInt(LibC.STATX_NLINK_OFFSET) - 2;
        } catch (LastErrorException e) {
            return -1;
        }
    }

    /**
     * Seizes and interrupts the listed threads not yet known, and drops the known untraced ones
     * that are not listed: let go by the last resume and left asleep, they exited unseen.
     */
    private void seizeNew() {
        int[] tids;
        try {
            tids = ProcFs.threadIds(tracees.pid());
        } catch (PyspyException e) {
            tracees.checkExited();
            return;
        }
        for (Iterator<Tracee> it = tracees.all().iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (t.state == Tracee.State.DETACHED && Arrays.binarySearch(tids, t.tid) < 0) {
                tracees.forget(it, t);
            }
        }
        tracees.threadsGone = false;
        for (int tid : tids) {
            if (tracees.get(tid) == null) {
                try {
                    tracees.seize(tid, true, false);
                } catch (PyspyException e) {
                    LOG.debug("cannot seize new thread {}: {}", tid, e.getMessage());
                }
            }
        }
    }
}
