package dev.pyspy.sampler;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

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

    /**
     * What cli.LaunchModeTest relies on: whatever delays the sampler meets (slow samples, late
     * wake-ups, preemption between a sample and the next), the time between two samples beyond
     * 5 intervals is always reported as lag. The loop is the sampler's: a sample starts at its tick,
     * the schedule is asked for the next tick when it ends, and the sampler sleeps until then.
     */
    @Test
    void everyGapLongerThanFiveIntervalsIsReportedAsLag() {
        SplittableRandom random = new SplittableRandom(16);
        for (int run = 0; run < 200; run++) {
            SamplingSchedule s = new SamplingSchedule(0, INTERVAL);
            long now = 0;
            long lastTick = 0;
            long unreported = 0;
            long reported = 0;
            for (int i = 0; i < 2_000; i++) {
                long tick = now;
                if (tick - lastTick > 5 * INTERVAL) {
                    unreported += tick - lastTick - 5 * INTERVAL;
                }
                lastTick = tick;
                now += delay(random); // the sample itself
                long next = s.next(now);
                reported += s.lagNanos();
                now = Math.max(now, next) + delay(random); // the sleep, and waking up late
            }
            assertTrue(unreported <= reported, "run " + run + ": " + unreported + " ns of gaps beyond 5 intervals, "
                    + reported + " ns reported");
        }
    }

    /** Mostly short, sometimes several intervals, now and then tens of them. */
    private static long delay(SplittableRandom random) {
        double p = random.nextDouble();
        if (p < 0.8) {
            return random.nextLong(INTERVAL / 10);
        }
        return p < 0.97 ? random.nextLong(4 * INTERVAL) : random.nextLong(50 * INTERVAL);
    }
}
