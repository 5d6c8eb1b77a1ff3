package dev.pyspy.model;

import java.util.List;

/**
 * One thread's Python stack at one instant, innermost frame first.
 *
 * @param pid         process the thread belongs to
 * @param threadId    the interpreter's thread identifier (pthread_t)
 * @param osThreadId  the kernel's thread id (tid), 0 when it could not be determined
 * @param threadName  name from the threading module, null when the thread has none
 * @param active      true when the thread was running (not blocked) when sampled
 * @param ownsGil     true when the thread held the GIL (never on free-threaded builds)
 */
public record ThreadStack(int pid, long threadId, long osThreadId, String threadName,
                          boolean active, boolean ownsGil, List<Frame> frames) {
}
