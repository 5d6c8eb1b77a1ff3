package dev.pyspy.sampler;

import java.util.SplittableRandom;

/**
 * When to take the next sample: an absolute schedule (no drift from the time each sample takes)
 * with intervals drawn uniformly from [0.5, 1.5) x 1/rate, so sampling cannot alias with periodic
 * work in the target. When pyspy falls behind it skips ahead and reports the lag instead of
 * bursting samples to catch up.
 */
final class SamplingSchedule {
    private final long intervalNanos;
    private final SplittableRandom random = new SplittableRandom();
    private long deadline;
    private long lagNanos;

    SamplingSchedule(long startNanos, long intervalNanos) {
        this.intervalNanos = intervalNanos;
        this.deadline = startNanos;
    }

    /** Advances to the next sample time and returns it. */
    long next(long nowNanos) {
        deadline += (long) (intervalNanos * (0.5 + random.nextDouble()));
        long behind = nowNanos - deadline;
        if (behind > 2 * intervalNanos) {
            lagNanos = behind;
            deadline = nowNanos;
        } else {
            lagNanos = 0;
        }
        return deadline;
    }

    /** How far behind the schedule the last {@link #next} found us (0 when on time). */
    long lagNanos() {
        return lagNanos;
    }
}
