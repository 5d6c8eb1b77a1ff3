package dev.pyspy.output;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The geometry of a flame graph, independent of how it is drawn.
 *
 * <p>Stacks are merged into a tree by frame label (as collapsed stacks are), under a root named
 * {@code all}. Children are sorted by label; each child starts where its previous sibling ends, the
 * first one where its parent starts, and the parent's own samples (self time) and the samples of
 * pruned children fill the rest of the parent's span, on its right. A child narrower than
 * {@code minWidthFraction} of all samples is pruned together with its subtree; its samples are
 * counted in the parent's {@link Node#pruned()}. So for every node:
 * {@code total == self + pruned + sum(children.total)}, and a child lies inside its parent's span.
 *
 * <p>Positions and widths are in samples ({@link Node#start()}, {@link Node#total()}); {@link Node#x()}
 * and {@link Node#width()} give them as fractions of all samples.
 */
public final class FlameGraphLayout {
    public static final String ROOT_LABEL = "all";

    private final Node root;
    private final List<Node> nodes;
    private final int maxDepth;
    private final long prunedFrames;

    private FlameGraphLayout(Node root, List<Node> nodes, int maxDepth, long prunedFrames) {
        this.root = root;
        this.nodes = nodes;
        this.maxDepth = maxDepth;
        this.prunedFrames = prunedFrames;
    }

    /** One frame of the graph. */
    public static final class Node {
        private final String label;
        private final FrameInfo frame;
        private final int depth;
        private long start;
        private long total;
        private long self;
        private long pruned;
        private List<Node> children = List.of();
        private Map<String, Node> childIndex;
        private double rootTotal;

        Node(String label, FrameInfo frame, int depth) {
            this.label = label;
            this.frame = frame;
            this.depth = depth;
        }

        /** The frame's label; {@code all} for the root. */
        public String label() {
            return label;
        }

        /** The first frame merged into this node; {@code null} for the root. */
        public FrameInfo frame() {
            return frame;
        }

        /** 0 for the root, 1 for the outermost Python (or synthetic) frames. */
        public int depth() {
            return depth;
        }

        /** Offset of the node's span, in samples from the left edge. */
        public long start() {
            return start;
        }

        /** Samples that had this frame on their stack (through this path): the span's width. */
        public long total() {
            return total;
        }

        /** Samples whose stack ended in this node. */
        public long self() {
            return self;
        }

        /** Samples of children pruned for being too narrow. */
        public long pruned() {
            return pruned;
        }

        public List<Node> children() {
            return children;
        }

        /** Left edge as a fraction of all samples, in [0, 1]. */
        public double x() {
            return rootTotal == 0 ? 0 : start / rootTotal;
        }

        /** Width as a fraction of all samples, in [0, 1]. */
        public double width() {
            return rootTotal == 0 ? 0 : total / rootTotal;
        }

        Node child(String childLabel, FrameInfo childFrame) {
            if (childIndex == null) {
                childIndex = new HashMap<>();
            }
            Node c = childIndex.get(childLabel);
            if (c == null) {
                c = new Node(childLabel, childFrame, depth + 1);
                childIndex.put(childLabel, c);
            }
            return c;
        }

        @Override
        public String toString() {
            return label + "[d=" + depth + " start=" + start + " total=" + total + " self=" + self + "]";
        }
    }

    /**
     * Builds the layout of a profile.
     *
     * @param minWidthFraction frames with fewer than this fraction of all samples are pruned (0 keeps all)
     */
    public static FlameGraphLayout build(Profile profile, double minWidthFraction) {
        if (!(minWidthFraction >= 0 && minWidthFraction < 1)) {
            throw new IllegalArgumentException("minWidthFraction must be in [0, 1): " + minWidthFraction);
        }
        String[] labels = new String[profile.frames().size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = profile.frame(i).label();
        }
        Node root = new Node(ROOT_LABEL, null, 0);
        for (int s = 0; s < profile.stackCount(); s++) {
            long count = profile.count(s);
            if (count == 0) {
                continue;
            }
            int[] stack = profile.stack(s);
            Node node = root;
            node.total += count;
            for (int id : stack) {
                node = node.child(labels[id], profile.frame(id));
                node.total += count;
            }
            node.self += count;
        }
        return finish(root, minWidthFraction);
    }

    private static FlameGraphLayout finish(Node root, double minWidthFraction) {
        long total = root.total;
        // A node is kept when total >= threshold; the root is always kept.
        double threshold = Math.max(minWidthFraction * total, Double.MIN_VALUE);
        List<Node> order = new ArrayList<>();
        int maxDepth = 0;
        long prunedFrames = 0;
        Comparator<Node> byLabel = Comparator.comparing(Node::label);
        Deque<Node> work = new ArrayDeque<>();
        root.start = 0;
        work.push(root);
        while (!work.isEmpty()) {
            Node node = work.pop();
            node.rootTotal = total;
            order.add(node);
            maxDepth = Math.max(maxDepth, node.depth);
            if (node.childIndex == null) {
                continue;
            }
            List<Node> kept = new ArrayList<>(node.childIndex.size());
            for (Node c : node.childIndex.values()) {
                if (c.total >= threshold) {
                    kept.add(c);
                } else {
                    node.pruned += c.total;
                    prunedFrames += countSubtree(c);
                }
            }
            node.childIndex = null;
            kept.sort(byLabel);
            long x = node.start;
            for (Node c : kept) {
                c.start = x;
                x += c.total;
            }
            node.children = Collections.unmodifiableList(kept);
            // push in reverse so that children are visited left to right (pre-order)
            for (int i = kept.size() - 1; i >= 0; i--) {
                work.push(kept.get(i));
            }
        }
        return new FlameGraphLayout(root, Collections.unmodifiableList(order), maxDepth, prunedFrames);
    }

    private static long countSubtree(Node n) {
        long count = 0;
        Deque<Node> work = new ArrayDeque<>();
        work.push(n);
        while (!work.isEmpty()) {
            Node c = work.pop();
            count++;
            if (c.childIndex != null) {
                c.childIndex.values().forEach(work::push);
            }
        }
        return count;
    }

    public Node root() {
        return root;
    }

    /** All kept nodes, root first, parents before children, siblings left to right. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Depth of the deepest kept node (0 when there are no samples). */
    public int maxDepth() {
        return maxDepth;
    }

    public long totalSamples() {
        return root.total;
    }

    /** How many tree nodes were pruned (including the subtrees of pruned nodes). */
    public long prunedFrames() {
        return prunedFrames;
    }
}
