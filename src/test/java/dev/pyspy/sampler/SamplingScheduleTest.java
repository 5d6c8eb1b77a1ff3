package dev.pyspy.sampler;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingScheduleTest {
    private static final long INTERVAL = 10_000_000L;

    @Test
    void intervalsAreRandomisedAroundOneOverRateWithoutDrift() {
        SamplingSchedule s = new SamplingSchedule(0, INTERVAL);
        long previous = 0;
        long min = Long.MAX_VALUE;
        long max = 0;
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            long next = s.next(previous); // always on time
            long gap = next - previous;
            min = Math.min(min, gap);
            max = Math.max(max, gap);
            previous = next;
        }
        assertTrue(min >= INTERVAL / 2, "shortest interval " + min);
        assertTrue(max < INTERVAL * 3 / 2, "longest interval " + max);
        assertTrue(max - min > INTERVAL * 9 / 10, "intervals vary (no aliasing with periodic work)");
        // absolute schedule: after n ticks the clock is n intervals on, within 1%
        assertEquals((double) n * INTERVAL, previous, n * INTERVAL * 0.01);
    }

    @Test
    void fallingBehindIsReportedAndSkippedInsteadOfBursting() {
        SamplingSchedule s = new SamplingSchedule(0, INTERVAL);
        long late = 50 * INTERVAL;
        long next = s.next(late);
        assertTrue(s.lagNanos() >= 48 * INTERVAL, "lag " + s.lagNanos());
        assertEquals(late, next, "the next sample is taken now, not 50 samples in a burst");
        s.next(next);
        assertEquals(0, s.lagNanos(), "back on schedule");
    }
}
