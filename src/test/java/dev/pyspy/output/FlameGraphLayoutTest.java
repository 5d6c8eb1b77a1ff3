package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class FlameGraphLayoutTest {

    static FlameGraphLayout.Node find(FlameGraphLayout layout, String... path) {
        FlameGraphLayout.Node n = layout.root();
        outer:
        for (String p : path) {
            for (FlameGraphLayout.Node c : n.children()) {
                if (c.label().startsWith(p)) {
                    n = c;
                    continue outer;
                }
            }
            return null;
        }
        return n;
    }

    @Test
    void rootSpansAllSamples() {
        FlameGraphLayout l = FlameGraphLayout.build(TestProfiles.heavy(), 0);
        assertEquals(200, l.totalSamples());
        assertEquals("all", l.root().label());
        assertEquals(0, l.root().start());
        assertEquals(1.0, l.root().width());
        assertEquals(0.0, l.root().x());
        assertEquals(6, l.maxDepth());
    }

    @Test
    void childrenAreNeverWiderThanParentsAndSumToParentMinusSelf() {
        FlameGraphLayout l = FlameGraphLayout.build(TestProfiles.heavy(), 0);
        FlameGraphGeometry.assertGeometry(l);
        FlameGraphLayout.Node main = find(l, "thread (1001)", "<module>", "main");
        assertEquals(100, main.total());
        assertEquals(10, main.self());
        assertEquals(List.of("heavy_a (heavy.py:5)", "heavy_b (heavy.py:12)"),
                main.children().stream().map(FlameGraphLayout.Node::label).toList());
        assertEquals(0, main.children().get(0).start());
        assertEquals(60, main.children().get(1).start());
        FlameGraphLayout.Node dot = find(l, "thread (1002)", "_bootstrap_inner", "run", "worker_loop", "heavy_a", "dot");
        assertEquals(100, dot.start()); // after the main thread; heavy_a sorts before heavy_b
        assertEquals(30, dot.total());
    }

    @Test
    void framesWithTheSameLabelMergeAlongTheSamePath() {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 2, TestProfiles.fn("a"), new FrameInfo("b", "app.py", 1, 1));
        TestProfiles.add(p, 3, TestProfiles.fn("a"), new FrameInfo("b", "app.py", 1, 0));
        FlameGraphLayout l = FlameGraphLayout.build(p, 0);
        FlameGraphLayout.Node b = find(l, "a", "b");
        assertEquals(5, b.total());
        assertEquals(3, l.nodes().size());
    }

    @Test
    void narrowFramesArePrunedWithTheirSubtrees() {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 995, TestProfiles.fn("big"));
        TestProfiles.add(p, 4, TestProfiles.fn("big"), TestProfiles.fn("small"), TestProfiles.fn("deeper"));
        TestProfiles.add(p, 1, TestProfiles.fn("tiny"));
        FlameGraphLayout kept = FlameGraphLayout.build(p, 0);
        assertEquals(5, kept.nodes().size());
        assertEquals(0, kept.prunedFrames());

        FlameGraphLayout pruned = FlameGraphLayout.build(p, 0.005); // 5 of 1000 samples
        FlameGraphGeometry.assertGeometry(pruned);
        assertEquals(List.of("all", "big (app.py:1)"),
                pruned.nodes().stream().map(FlameGraphLayout.Node::label).toList());
        assertEquals(3, pruned.prunedFrames());
        assertEquals(1, pruned.root().pruned());
        FlameGraphLayout.Node big = find(pruned, "big");
        assertEquals(4, big.pruned());
        assertEquals(995, big.self());
        assertEquals(1, pruned.maxDepth());
        assertNull(find(pruned, "big", "small"));
    }

    @Test
    void defaultMinimumWidthKeepsFramesOfATenthOfAPercent() {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 999, TestProfiles.fn("big"));
        TestProfiles.add(p, 1, TestProfiles.fn("edge"));
        FlameGraphLayout l = FlameGraphLayout.build(p, FlameGraphOptions.DEFAULT_MIN_WIDTH_FRACTION);
        assertEquals(3, l.nodes().size(), "exactly 0.1% is kept");
    }

    @Test
    void emptyProfileHasOnlyAnEmptyRoot() {
        FlameGraphLayout l = FlameGraphLayout.build(new Profile("t", 0.01, 0), 0.001);
        assertEquals(0, l.totalSamples());
        assertEquals(1, l.nodes().size());
        assertEquals(0, l.maxDepth());
        assertEquals(0.0, l.root().width());
    }

    @Test
    void deepStacksDoNotOverflow() {
        Profile p = new Profile("t", 0.01, 0);
        FrameInfo[] frames = new FrameInfo[20_000];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = TestProfiles.fn("recurse");
        }
        TestProfiles.add(p, 1, frames);
        FlameGraphLayout l = FlameGraphLayout.build(p, 0.001);
        assertEquals(20_000, l.maxDepth());
        FlameGraphGeometry.assertGeometry(l);
    }

    @Test
    void rejectsMinimumWidthOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> FlameGraphLayout.build(TestProfiles.heavy(), -0.1));
        assertThrows(IllegalArgumentException.class, () -> FlameGraphLayout.build(TestProfiles.heavy(), 1));
    }
}
