package dev.pyspy.process;

import dev.pyspy.util.LongIntMap;

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
 * <p>Thousands of sleeping threads would cost a schedstat read each, every sample. Instead, the
 * threads that stayed asleep to the end of the last pause (settled) are left running unread, and
 * one {@link GroupSwitchCount} request answers for all of them together: the process's total of
 * switch-ins has moved since the end of the last settled pause by exactly what
 * the threads read one by one (stopped, or parked after a look) moved, when none of the unread ones
 * was switched in. Each thread's count at that end is kept for this ({@code baselineSwitches}), so
 * the check holds whichever threads stop or sleep in between, as long as the same threads exist.
 * The total is read before anything else each time, so a sleeper that runs after it still moves the
 * next one. When the sums differ, each unread thread is read to find which ran; one found so (a
 * thread that wakes now and then, like a main thread waiting with a timeout) is then looked at every
 * pause rather than left to the total, so that it does not send every later check one by one,
 * until it stays asleep through {@link #WAKER_QUIET_PAUSES} pauses in a row.
 */
final class ParkedThreads implements AutoCloseable {
    private static final long UNREADABLE = Long.MIN_VALUE;
    /**
     * A waker found asleep, not switched in since, at this many pauses in a row is left unread again:
     * a pool's worker that served one request does not cost reads for good (at 100 samples a second,
     * two seconds asleep).
     */
    static final int WAKER_QUIET_PAUSES = 200;

    private final int pid;
    private final OffCpuCheck offCpu;
    private final Tracees tracees;
    private final List<Tracee> parked = new ArrayList<>();
    /**
     * 1 for each thread parked without a look (settled) in this pause, 0 once found to have run; kept
     * after the pause until the next one starts ({@link #unread}). By tid: no boxing.
     */
    private final LongIntMap unreadTids = new LongIntMap(64);
    /** The process's total of switch-ins; null until tried, or where the kernel does not tell it. */
    private GroupSwitchCount group;
    private boolean groupTried;
    // The end of the last settled pause, for the group check: the total and the thread set
    // (Tracees.changes); each thread's own count then is its baselineSwitches.
    private boolean baselineValid;
    private long baselineTotal;
    private long baselineChanges;
    /** This pause's total, and whether every thread not left to it was read with it (checkedSwitches). */
    private long candidateTotal = -1;
    private boolean candidateComplete;
    /** Checks that read the threads left unread one by one (the process's total could not answer). */
    private long oneByOne;

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
     * since is told after the read (most threads of a server sleep for many samples: no read a
     * sample instead of three). A thread known to wake now and then is looked at each time: left
     * unread, its waking between two pauses would count as running during the read.
     */
    boolean park(Tracee t) {
        if (t.settled && !t.waker) {
            parked.add(t);
            t.parked = true;
            unreadTids.put(t.tid, 1);
            return true;
        }
        long switches = offCpu.switchesIn(t.tid);
        if (switches < 0 || !offCpu.blocked(t.tid)) {
            return false;
        }
        if (t.waker) {
            // asleep since the last pause ended (settled, same count): quiet long enough, left to the total again
            t.quietPauses = t.settled && switches == t.switchesIn ? t.quietPauses + 1 : 0;
            t.waker = t.quietPauses < WAKER_QUIET_PAUSES;
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
        // the total first: a sleeper switched in after it, even during the reads below, moves the next one
        candidateTotal = threadsKnown ? groupTotal() : -1;
        long moved = candidateTotal >= 0 ? readOthers() : UNREADABLE;
        candidateComplete = moved != UNREADABLE;
        boolean unreadStayed = candidateComplete && baselineValid && tracees.changes() == baselineChanges
                && candidateTotal - baselineTotal == moved;
        // those looked at first: one that ran means another walk, and the unread are checked after it
        List<Tracee> ran = ranOf(false);
        if (ran != null || unreadStayed) {
            return ran;
        }
        oneByOne++;
        return ranOf(true);
    }

    /**
     * Removes and returns the parked threads read in this pause ({@code unread} false) or left
     * unread (true) that were switched in since they were parked; null when none was.
     */
    private List<Tracee> ranOf(boolean unread) {
        List<Tracee> ran = null;
        for (Iterator<Tracee> it = parked.iterator(); it.hasNext(); ) {
            Tracee t = it.next();
            if (tracees.get(t.tid) != t) {
                unreadTids.put(t.tid, 0);
                it.remove(); // gone
                continue;
            }
            if (unread(t.tid) != unread) {
                continue;
            }
            long now = unread || !candidateComplete ? offCpu.switchesIn(t.tid) : t.checkedSwitches;
            if (now != t.switchesIn) {
                if (unread) {
                    t.waker = true;
                    t.quietPauses = 0;
                }
                t.settled = false;
                t.parked = false;
                unreadTids.put(t.tid, 0);
                if (ran == null) {
                    ran = new ArrayList<>();
                }
                ran.add(t);
                it.remove();
            }
        }
        return ran;
    }

    /**
     * Reads the switch-in count of every thread but the parked unread ones (into checkedSwitches),
     * and returns how far they moved together since the baseline; UNREADABLE when one cannot be
     * read or may move (neither stopped nor parked), and so the totals cannot be compared. The
     * parked ones read here may have run: their own counts say so, and the sum holds either way.
     */
    private long readOthers() {
        long moved = 0;
        for (Tracee t : tracees.all()) {
            if (t.state == Tracee.State.ZOMBIE || (t.parked && unread(t.tid))) {
                continue; // a dead main thread's count stays in the total for good
            }
            long n = t.parked || t.state == Tracee.State.STOPPED ? offCpu.switchesIn(t.tid) : -1;
            if (n < 0) {
                return UNREADABLE;
            }
            t.checkedSwitches = n;
            moved += n - t.baselineSwitches;
        }
        return moved;
    }

    /**
     * The read is final: the threads still left running stayed off the CPU up to now, and this
     * pause's total (when every other thread was read with it) is the next check's baseline.
     */
    void settle() {
        for (Tracee t : parked) {
            t.settled = true;
        }
        baselineValid = candidateComplete;
        if (!baselineValid) {
            return;
        }
        baselineTotal = candidateTotal;
        baselineChanges = tracees.changes();
        for (Tracee t : tracees.all()) {
            // a parked thread's count is still the one it was parked with (checked above, or by the total)
            t.baselineSwitches = t.parked ? t.switchesIn : t.checkedSwitches;
        }
    }

    /** The last pause's end is no base for the next check (it was not settled). */
    void dropBaseline() {
        baselineValid = false;
    }

    /** How many checks read the unread threads one by one (the process's total could not answer). */
    long oneByOneChecks() {
        return oneByOne;
    }

    /** The process's total of switch-ins, or -1. */
    private long groupTotal() {
        if (!groupTried) {
            groupTried = true;
            group = GroupSwitchCount.open(pid);
        }
        return group == null ? -1 : group.read();
    }

    /** Per-thread files read so far (schedstat and syscall). */
    long reads() {
        return offCpu.reads();
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

    /**
     * Whether thread {@code tid} is left running unread in this pause (between pauses: was, in the last
     * one): off the CPU and not switched in since the last settled pause ended, as {@link #ranSince}
     * will confirm (or find it ran).
     */
    boolean unread(int tid) {
        return unreadTids.get(tid, 0) == 1;
    }

    /** Before a pause: no thread is left unread yet. */
    void startPause() {
        clear();
        unreadTids.clear();
    }

    /** After a pause (or before one): no thread is parked; the last pause's unread ones stay known ({@link #unread}). */
    void clear() {
        for (Tracee t : parked) {
            t.parked = false;
        }
        parked.clear();
    }

    /** A thread is gone: what was kept open for it is closed. */
    void forget(int tid) {
        offCpu.forget(tid);
    }

    @Override
    public void close() {
        startPause();
        baselineValid = false;
        offCpu.close();
        if (group != null) {
            group.close();
            group = null;
        }
    }
}
