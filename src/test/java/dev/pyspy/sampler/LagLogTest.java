package dev.pyspy.sampler;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LagLogTest {
    private final List<long[]> lines = new ArrayList<>();
    private final LagLog lagLog = new LagLog((lag, at) -> lines.add(new long[] {lag, at}));

    @Test
    void aLagOfAMillisecondOrMoreIsLoggedAtOnce() {
        lagLog.add(3_000_000, 50_000_000);
        assertEquals(1, lines.size());
        assertEquals(3_000_000, lines.get(0)[0]);
        assertEquals(50_000_000, lines.get(0)[1]);
    }

    @Test
    void shortLagsAreSummedIntoALineOnceTheyReachAMillisecondAndNothingIsLost() {
        long added = 0;
        for (int tick = 1; tick <= 1_000; tick++) {
            lagLog.add(30_000, tick * 40_000L);
            added += 30_000;
        }
        lagLog.flush(41_000_000);
        assertEquals(30, lines.size(), "one line per millisecond of lag, not one per tick");
        assertEquals(added, lines.stream().mapToLong(l -> l[0]).sum());
        assertEquals(41_000_000, lines.get(lines.size() - 1)[1], "the remainder is logged at the end");
    }

    @Test
    void nothingSkippedWritesNothing() {
        lagLog.flush(1_000_000);
        assertEquals(List.of(), lines);
    }
}
