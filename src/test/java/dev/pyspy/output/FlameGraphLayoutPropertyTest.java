package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The layout against a plain recursive model of a flame graph, on random profiles. */
class FlameGraphLayoutPropertyTest {

    /** The obvious implementation: a tree of sorted maps, pruned and positioned recursively. */
    static final class Model {
        final String label;
        final int depth;
        long total;
        long self;
        final Map<String, Model> children = new TreeMap<>();

        Model(String label, int depth) {
            this.label = label;
            this.depth = depth;
        }

        void flatten(long start, double threshold, List<String> out) {
            long pruned = 0;
            for (Model c : children.values()) {
                if (c.total < threshold) {
                    pruned += c.total;
                }
            }
            out.add(label + " d=" + depth + " start=" + start + " total=" + total + " self=" + self + " pruned=" + pruned);
            long x = start;
            for (Model c : children.values()) {
                if (c.total >= threshold) {
                    c.flatten(x, threshold, out);
                    x += c.total;
                }
            }
        }
    }

    @Test
    void matchesTheRecursiveModelOnRandomProfiles() {
        Random r = new Random(7);
        for (int round = 0; round < 60; round++) {
            Profile p = new Profile("random", 0.01, 0);
            Model root = new Model("all", 0);
            int functions = 1 + r.nextInt(12);
            int stacks = 1 + r.nextInt(80);
            for (int s = 0; s < stacks; s++) {
                int depth = r.nextInt(7);
                FrameInfo[] frames = new FrameInfo[depth];
                for (int d = 0; d < depth; d++) {
                    int f = r.nextInt(functions);
                    // same label, different first line: must merge
                    frames[d] = new FrameInfo("f" + f, "m.py", f + 1, r.nextInt(2));
                }
                long count = 1 + r.nextInt(r.nextBoolean() ? 3 : 200);
                TestProfiles.add(p, count, frames);
                Model m = root;
                m.total += count;
                for (FrameInfo fi : frames) {
                    Model parent = m;
                    m = parent.children.computeIfAbsent(fi.label(), l -> new Model(l, parent.depth + 1));
                    m.total += count;
                }
                m.self += count;
            }
            for (double minWidth : new double[]{0, 0.01, 0.05, 0.3}) {
                List<String> expected = new ArrayList<>();
                root.flatten(0, Math.max(minWidth * root.total, Double.MIN_VALUE), expected);
                FlameGraphLayout layout = FlameGraphLayout.build(p, minWidth);
                List<String> actual = layout.nodes().stream().map(n -> n.label() + " d=" + n.depth() + " start=" + n.start()
                        + " total=" + n.total() + " self=" + n.self() + " pruned=" + n.pruned()).toList();
                assertEquals(expected, actual, "round " + round + " min width " + minWidth);
                FlameGraphGeometry.assertGeometry(layout);
            }
        }
    }
}
