package dev.pyspy.top;

/**
 * The header's numbers at one refresh.
 *
 * @param target          the sampled program
 * @param processes       processes being sampled
 * @param threads         Python threads seen in the last sample
 * @param samples         sampling ticks since start or reset
 * @param elapsedSeconds  time since start or reset
 * @param achievedRate    ticks per second actually achieved
 * @param gilThreads      counted thread samples holding the GIL per tick (1.0 = one thread's worth, as py-spy)
 * @param activeThreads   counted thread samples running per tick (4 busy threads: 4.0)
 * @param errors          ticks in which reading a process failed
 * @param lastError       the last such failure, or null
 * @param intervalTicks   ticks in the last refresh interval: the base of the % columns
 */
public record TopStatus(TargetInfo target, int processes, int threads, long samples, double elapsedSeconds,
                        double achievedRate, double gilThreads, double activeThreads, long errors,
                        String lastError, long intervalTicks) {
}
