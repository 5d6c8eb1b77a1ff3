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
 *
 * <p>Thousands of sleeping threads would cost a schedstat read each, every sample. When the same
 * threads are left running as at the last pause, all of them settled, and every other thread is
 * stopped now as it was then, one {@link GroupSwitchCount} request answers for all of them: the
 * process's total of switch-ins, which only grows, minus what the stopped threads added (read one
 * by one), equal to the total at the end of the last pause means none of the sleepers was switched
 * in since. That total is read before anything else each time, so a sleeper that runs after it was
 * checked still moves the next total.
 */
final class ParkedThreads implements AutoCloseable {

    private final int pid;
    private final OffCpuCheck offCpu;
    private final Tracees tracees;
    private final List<Tracee> parked = new ArrayList<>();
    /** Parked in this pause without a look, settled since the last one. */
    private int parkedSettled;
    /** The process's total of switch-ins; null until tried, or where the kernel does not tell it. */
    private GroupSwitchCount group;
    private boolean groupTried;
    // The end of the last pause, for the group check: the total, the stopped threads' share of it,
    // the thread set (Tracees.changes), how many were left running; and this pause's candidates.
    private boolean baselineValid;
    private long baselineTotal;
    private long baselineOthers;
    private long baselineChanges;
    private int baselineParked;
    private long candidateTotal = -1;
    private long candidateOthers = -1;

    ParkedThreads(int pid, Tracees tracees) {
        this.pid = pid;
        this.tracees = tracees;
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
            t.parked = true;
            parkedSettled++;
            return true;
        }
        long switches = offCpu.switchesIn(t.tid);
        if (switches < 0 || !offCpu.blocked(t.tid)) {
            return false;
        }
        t.switchesIn = switches;
        parked.add(t);
        t.parked = true;
        return true;
    }

    boolean isEmpty() {
        return parked.isEmpty();
    }

    /**
     * Removes and returns the parked threads that were switched onto a CPU since they were parked
     * (or whose count cannot be read: gone); forgets those no longer in {@code tracees}. Null when
     * none ran. {@code threadsKnown}: the thread count, read before, matched the threads known.
     */
    List<Tracee> ranSince(Tracees tracees, boolean threadsKnown) {
        boolean baseline = baselineValid;
        baselineValid = false; // until settle() makes this pause's the next one
        // the total first: a sleeper switched in after it, even during the checks below, moves the next one
        candidateTotal = threadsKnown ? groupTotal() : -1;
        candidateOthers = candidateTotal >= 0 ? othersTotal() : -1;
        if (baseline && candidateOthers >= 0 && parkedSettled == parked.size() && parked.size() == baselineParked
                && tracees.changes() == baselineChanges
                && candidateTotal - baselineTotal == candidateOthers - baselineOthers) {
            return null; // the same sleepers as at the last pause's end, and none was switched in since
        }
        List<Tracee> ran = null;
        for (Iterator<Tracee> it = parked.iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (tracees.get(t.tid) != t) {
                it.remove(); // gone
            } else if (offCpu.switchesIn(t.tid) != t.switchesIn) {
                t.settled = false;
                t.parked = false;
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
        baselineValid = candidateOthers >= 0;
        baselineTotal = candidateTotal;
        baselineOthers = candidateOthers;
        baselineChanges = tracees.changes();
        baselineParked = parked.size();
    }

    /** The last pause's end is no base for the next check (it was not settled). */
    void dropBaseline() {
        baselineValid = false;
    }

    /** The process's total of switch-ins, or -1. */
    private long groupTotal() {
        if (!groupTried) {
            groupTried = true;
            group = GroupSwitchCount.open(pid);
        }
        return group == null ? -1 : group.read();
    }

    /**
     * The switch-ins of the threads not left running, all stopped (their counts cannot move), the
     * dead main thread aside (its count is in the total for good); -1 when one is not stopped or
     * cannot be read.
     */
    private long othersTotal() {
        long sum = 0;
        for (Tracee t : tracees.all()) {
            if (t.parked || t.state == Tracee.State.ZOMBIE) {
                continue;
            }
            long n = t.state == Tracee.State.STOPPED ? offCpu.switchesIn(t.tid) : -1;
            if (n < 0) {
                return -1;
            }
            sum += n;
        }
        return sum;
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
        for (Tracee t : parked) {
            t.parked = false;
        }
        parked.clear();
        parkedSettled = 0;
    }

    /** A thread is gone: what was kept open for it is closed. */
    void forget(int tid) {
        offCpu.forget(tid);
    }

    @Override
    public void close() {
        clear();
        baselineValid = false;
        offCpu.close();
        if (group != null) {
            group.close();
            group = null;
        }
    }
}
