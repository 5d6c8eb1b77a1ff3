package dev.pyspy.output;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ProfileTest {

    private static Profile fill(boolean timeline) {
        Profile p = new Profile("t", 0.01, 0, timeline);
        int a = p.frameId(new FrameInfo("a", "m.py", 1, 1));
        int b = p.frameId(new FrameInfo("b", "m.py", 2, 2));
        int t0 = p.threadIndex(new ProfileThread(1, 10, "main"));
        int t1 = p.threadIndex(new ProfileThread(1, 11, "worker"));
        int ab = p.stackId(new int[]{a, b}, 2);
        int aOnly = p.stackId(new int[]{a, b}, 1);
        for (int i = 0; i < 1000; i++) {
            p.addSample(i * 10_000_000L, i % 3 == 0 ? t1 : t0, i % 4 == 0 ? aOnly : ab);
        }
        return p;
    }

    @Test
    void withoutATimelineCountsStayExactAndMemoryDoesNotGrowWithSamples() {
        Profile with = fill(true);
        Profile without = fill(false);
        assertEquals(1000, with.sampleCount());
        assertEquals(0, without.sampleCount());
        assertEquals(1000, without.totalSamples());
        for (int s = 0; s < with.stackCount(); s++) {
            assertEquals(with.count(s), without.count(s));
        }
        long[] pairs = without.threadStackPairs();
        java.util.Arrays.sort(pairs);
        long[] expected = with.threadStackPairs();
        java.util.Arrays.sort(expected);
        assertArrayEquals(expected, pairs);
        long sum = 0;
        for (long pair : pairs) {
            assertEquals(with.threadStackCount(pair), without.threadStackCount(pair));
            sum += without.threadStackCount(pair);
        }
        assertEquals(1000, sum);
    }

    @Test
    void rawAndPprofOutputsAreTheSameWithOrWithoutTheTimeline() throws Exception {
        for (ProfileWriter w : new ProfileWriter[]{new RawWriter(), new PprofWriter()}) {
            ByteArrayOutputStream a = new ByteArrayOutputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            w.write(fill(true), a);
            w.write(fill(false), b);
            if (w instanceof RawWriter) {
                assertEquals(a.toString(), b.toString());
            } else {
                assertEquals(a.size(), b.size(), "pprof sizes");
            }
        }
    }
}
