package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The geometry every flame-graph layout must have: children inside their parent, side by side. */
final class FlameGraphGeometry {
    private FlameGraphGeometry() {
    }

    static void assertGeometry(FlameGraphLayout layout) {
        for (FlameGraphLayout.Node n : layout.nodes()) {
            long sum = 0;
            long cursor = n.start();
            String previous = null;
            for (FlameGraphLayout.Node c : n.children()) {
                assertTrue(c.total() <= n.total(), "child not wider than parent: " + c + " in " + n);
                assertTrue(c.width() <= n.width() + 1e-12);
                assertEquals(cursor, c.start(), "siblings packed left to right without overlap");
                assertTrue(c.start() >= n.start() && c.start() + c.total() <= n.start() + n.total(),
                        "child inside parent's span");
                assertEquals(n.depth() + 1, c.depth());
                assertTrue(previous == null || previous.compareTo(c.label()) < 0, "siblings sorted by label");
                previous = c.label();
                cursor += c.total();
                sum += c.total();
            }
            assertEquals(n.total() - n.self() - n.pruned(), sum, "children sum to parent minus self: " + n);
        }
    }
}
