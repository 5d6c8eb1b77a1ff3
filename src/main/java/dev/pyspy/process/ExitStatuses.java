package dev.pyspy.process;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Exit statuses reaped by one part of pyspy on behalf of another.
 *
 * <p>A tracer that waits for its tracees (ThreadPauser) also reaps the traced process when it
 * exits, if that process is pyspy's own child: the kernel hands a traced child's exit to the
 * tracer. The {@link ChildProcess} that launched it would then find nothing to wait for, so the
 * reaper records the status here and ChildProcess picks it up.
 */
final class ExitStatuses {

    private static final ConcurrentHashMap<Integer, Integer> STATUSES = new ConcurrentHashMap<>();

    private ExitStatuses() {}

    /** Records a raw wait status of a reaped process. */
    static void record(int pid, int status) {
        STATUSES.put(pid, status);
    }

    /** Removes and returns the recorded raw status, or null. */
    static Integer take(int pid) {
        return STATUSES.remove(pid);
    }

    static boolean contains(int pid) {
        return STATUSES.containsKey(pid);
    }
}
