package dev.pyspy.process;

/** One thread of a paused process, as {@link ThreadPauser} knows it. */
final class Tracee {

    enum State {
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

    final int tid;
    State state = State.RUNNING;
    /** Signal to re-inject on resume (from a signal-delivery-stop), else 0. */
    int pendingSignal;
    /** The last stop was a group-stop: detach without a signal, and it stays stopped. */
    boolean groupStop;
    /** Left running in this pause (blocked off the CPU): its switch-in count then. */
    long switchesIn;
    /**
     * Left running by the last pause and not switched in up to its end: off the CPU since, as long
     * as {@link #switchesIn} holds, so the next pause may leave it running without looking.
     */
    boolean settled;
    /** Left running in this pause (one of {@link ParkedThreads}'). */
    boolean parked;
    /** Was switched in while left running unread: looked at each pause, not left to the total, until quiet. */
    boolean waker;
    /** Pauses in a row that found this waker asleep and not switched in since the last one. */
    int quietPauses;
    /** Its switch-in count when the process's total was read at the end of the last settled pause. */
    long baselineSwitches;
    /** Its switch-in count as read in this pause's check, for the next baseline. */
    long checkedSwitches;

    Tracee(int tid) {
        this.tid = tid;
    }
}
