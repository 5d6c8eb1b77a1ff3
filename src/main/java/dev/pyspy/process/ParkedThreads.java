package dev.pyspy.process;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The threads a pause leaves running because they are blocked in the kernel, off the CPU: such a
 * thread cannot change memory while it stays so, and stopping it would wake it twice per sample
 * (it must run to reach its stop, and again to go back to sleep), which on a small machine delays
 * the stop of the threads that do run. After the read, {@link #ranSince} says which of them ran
 * after all (their switch-in count moved), from {@link OffCpuCheck}.
 */
final class ParkedThreads implements AutoCloseable {

    private final OffCpuCheck offCpu;
    private final List<Tracee> parked = new ArrayList<>();

    ParkedThreads(int pid) {
        this.offCpu = new OffCpuCheck(pid);
    }

    /**
     * Leaves {@code t} out of this pause when it is blocked off the CPU. Its switch-in count is read
     * first: if it was on a CPU then and went off it before the check, it ran before the pause began
     * only; an unchanged count later means it has not run since. A thread that the last pause left
     * running and that was not switched in up to its end is left running unread: whether it ran
     * since is told by the same count after the read (most threads of a server sleep for many
     * samples: one read a sample each instead of three).
     */
    boolean park(Tracee t) {
        if (t.settled) {
            parked.add(t);
            return true;
        }
        long switches = offCpu.switchesIn(t.tid);
        if (switches < 0 || !offCpu.blocked(t.tid)) {
            return false;
        }
        t.switchesIn = switches;
        parked.add(t);
        return true;
    }

    boolean isEmpty() {
        return parked.isEmpty();
    }

    /**
     * Removes and returns the parked threads that were switched onto a CPU since they were parked
     * (or whose count cannot be read: gone); forgets those no longer in {@code tracees}. Null when
     * none ran.
     */
    List<Tracee> ranSince(Tracees tracees) {
        List<Tracee> ran = null;
        for (Iterator<Tracee> it = parked.iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (tracees.get(t.tid) != t) {
                it.remove(); // gone
            } else if (offCpu.switchesIn(t.tid) != t.switchesIn) {
                t.settled = false;
                if (ran == null) {
                    ran = new ArrayList<>();
                }
                ran.add(t);
                it.remove();
            }
        }
        return ran;
    }

    /** The read is final: the threads still left running stayed off the CPU up to now. */
    void settle() {
        for (Tracee t : parked) {
            t.settled = true;
        }
    }

    /** Descriptors held open now. */
    int openDescriptors() {
        return offCpu.openDescriptors();
    }

    /** Ids of the threads left running in this pause, ascending. */
    int[] ids() {
        int[] tids = new int[parked.size()];
        for (int i = 0; i < tids.length; i++) {
            tids[i] = parked.get(i).tid;
        }
        Arrays.sort(tids);
        return tids;
    }

    void clear() {
        parked.clear();
    }

    /** A thread is gone: what was kept open for it is closed. */
    void forget(int tid) {
        offCpu.forget(tid);
    }

    @Override
    public void close() {
        parked.clear();
        offCpu.close();
    }
}
