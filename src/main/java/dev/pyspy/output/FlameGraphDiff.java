package dev.pyspy.output;

import java.util.List;

/**
 * A differential flame graph: the layout (widths) of the {@code after} profile, each frame annotated with
 * the samples the same call path had in {@code before}.
 *
 * <p>Frames are matched by their path of labels from the root, as the flame graph merges them. Counts
 * are compared as shares of each profile's own total, so a longer or shorter recording does not show as
 * a change: {@link #selfDelta(int)} is {@code self_after / total_after - self_before / total_before}
 * (positive: the frame grew). Paths that only {@code before} has cannot be drawn with the widths of
 * {@code after}; their share is {@link #goneFraction()}.
 */
public final class FlameGraphDiff {
    private final FlameGraphLayout layout;
    private final long beforeTotal;
    private final long[] beforeTotals;
    private final long[] beforeSelf;
    private final double goneFraction;
    private final double maxAbsSelfDelta;

    private FlameGraphDiff(FlameGraphLayout layout, long beforeTotal, long[] beforeTotals, long[] beforeSelf,
                           double goneFraction) {
        this.layout = layout;
        this.beforeTotal = beforeTotal;
        this.beforeTotals = beforeTotals;
        this.beforeSelf = beforeSelf;
        this.goneFraction = goneFraction;
        double max = 0;
        for (int i = 0; i < beforeSelf.length; i++) {
            max = Math.max(max, Math.abs(selfDelta(i)));
        }
        this.maxAbsSelfDelta = max;
    }

    /**
     * Compares two profiles.
     *
     * @param minWidthFraction frames of {@code after} narrower than this share are pruned, as in a flame graph
     */
    public static FlameGraphDiff build(Profile before, Profile after, double minWidthFraction) {
        FlameGraphLayout layout = FlameGraphLayout.build(after, minWidthFraction);
        FlameGraphLayout beforeLayout = FlameGraphLayout.build(before, 0);
        List<FlameGraphLayout.Node> nodes = layout.nodes();
        long[] totals = new long[nodes.size()];
        long[] self = new long[nodes.size()];
        FlameGraphLayout.Node[] path = new FlameGraphLayout.Node[layout.maxDepth() + 2];
        int[] pathIndex = new int[layout.maxDepth() + 2];
        for (int i = 0; i < nodes.size(); i++) {
            FlameGraphLayout.Node n = nodes.get(i);
            int d = n.depth();
            FlameGraphLayout.Node match = d == 0 ? beforeLayout.root()
                    : path[d - 1] == null ? null : child(path[d - 1], n.label());
            path[d] = match;
            pathIndex[d] = i;
            totals[i] = match == null ? 0 : match.total();
            // the area a frame leaves uncovered by its drawn children, in before as in after
            self[i] = totals[i];
            if (d > 0) {
                self[pathIndex[d - 1]] -= totals[i];
            }
        }
        long gone = before.totalSamples() == 0 ? 0
                : goneSamples(beforeLayout.root(), after.totalSamples() == 0 ? null
                        : FlameGraphLayout.build(after, 0).root());
        long bt = beforeLayout.totalSamples();
        return new FlameGraphDiff(layout, bt, totals, self, bt == 0 ? 0 : (double) gone / bt);
    }

    /** Samples of {@code b}'s subtree on paths missing under {@code a} (null: nothing there). */
    private static long goneSamples(FlameGraphLayout.Node b, FlameGraphLayout.Node a) {
        long gone = 0;
        java.util.ArrayDeque<FlameGraphLayout.Node[]> work = new java.util.ArrayDeque<>();
        work.push(new FlameGraphLayout.Node[]{b, a});
        while (!work.isEmpty()) {
            FlameGraphLayout.Node[] pair = work.pop();
            if (pair[1] == null) {
                gone += pair[0].total();
                continue;
            }
            for (FlameGraphLayout.Node bc : pair[0].children()) {
                work.push(new FlameGraphLayout.Node[]{bc, child(pair[1], bc.label())});
            }
        }
        return gone;
    }

    /** The child labelled {@code label} (children are sorted by label), or null. */
    static FlameGraphLayout.Node child(FlameGraphLayout.Node parent, String label) {
        List<FlameGraphLayout.Node> cs = parent.children();
        int lo = 0;
        int hi = cs.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = cs.get(mid).label().compareTo(label);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return cs.get(mid);
            }
        }
        return null;
    }

    /** The layout of {@code after}. */
    public FlameGraphLayout layout() {
        return layout;
    }

    public long afterTotal() {
        return layout.totalSamples();
    }

    public long beforeTotal() {
        return beforeTotal;
    }

    /** Samples of node {@code i} (index in {@link FlameGraphLayout#nodes()}) in {@code before}: its total. */
    public long beforeTotal(int i) {
        return beforeTotals[i];
    }

    /**
     * Self samples of node {@code i} in {@code before}: its total less its drawn children's (so it includes
     * the samples of callees that are too narrow to draw, as {@link #afterSelf} does).
     */
    public long beforeSelf(int i) {
        return beforeSelf[i];
    }

    /** Self samples of node {@code i} in {@code after}, as drawn (including its pruned children). */
    public long afterSelf(int i) {
        FlameGraphLayout.Node n = layout.nodes().get(i);
        return n.self() + n.pruned();
    }

    /** Change of the node's total as a share of all samples: after minus before. */
    public double totalDelta(int i) {
        return share(layout.nodes().get(i).total(), afterTotal()) - share(beforeTotals[i], beforeTotal);
    }

    /** Change of the node's self time as a share of all samples: after minus before. */
    public double selfDelta(int i) {
        return share(afterSelf(i), afterTotal()) - share(beforeSelf[i], beforeTotal);
    }

    /** The largest {@link #selfDelta} in absolute value (0 when nothing changed). */
    public double maxAbsSelfDelta() {
        return maxAbsSelfDelta;
    }

    /** Share of {@code before}'s samples on call paths that {@code after} does not have at all. */
    public double goneFraction() {
        return goneFraction;
    }

    static double share(long part, long total) {
        return total == 0 ? 0 : (double) part / total;
    }

    /**
     * The colour of a change: near-white for none, towards red for growth and towards blue for shrinkage,
     * saturated in proportion to {@code |delta| / maxAbs}.
     */
    public static int rgb(double delta, double maxAbs) {
        double t = maxAbs <= 0 ? 0 : Math.min(1, Math.abs(delta) / maxAbs);
        int[] from = {236, 236, 236};
        int[] to = delta > 0 ? new int[]{222, 32, 32} : new int[]{36, 84, 222};
        int r = (int) Math.round(from[0] + (to[0] - from[0]) * t);
        int g = (int) Math.round(from[1] + (to[1] - from[1]) * t);
        int b = (int) Math.round(from[2] + (to[2] - from[2]) * t);
        return (r << 16) | (g << 8) | b;
    }

    static String css(int rgb) {
        return "rgb(" + (rgb >> 16 & 0xff) + "," + (rgb >> 8 & 0xff) + "," + (rgb & 0xff) + ")";
    }
}
