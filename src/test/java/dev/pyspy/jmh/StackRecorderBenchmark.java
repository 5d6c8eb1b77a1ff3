package dev.pyspy.jmh;

import dev.pyspy.output.FrameInfo;
import dev.pyspy.output.Profile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Cost of adding one 100-frame stack to a profile once its frames are known: the stack-interning
 * step every kept thread sample pays (8 threads x 100 frames = 8 of these per tick).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StackRecorderBenchmark {
    private Profile profile;
    private final int[][] stacks = new int[8][100];
    private long time;
    private int next;

    @Setup
    public void build() {
        profile = new Profile("bench", 0.001, 0);
        for (int t = 0; t < stacks.length; t++) {
            for (int d = 0; d < 100; d++) {
                // threads share their outer frames and differ in the innermost ones, like real programs
                int line = d < 90 ? d : d * 10 + t;
                stacks[t][d] = profile.frameId(new FrameInfo("f" + d, "mod.py", line, d));
            }
        }
    }

    @Benchmark
    public int internAndCount() {
        int[] s = stacks[next++ & 7];
        int id = profile.stackId(s, s.length);
        profile.addSample(time++, 0, id);
        return id;
    }
}
