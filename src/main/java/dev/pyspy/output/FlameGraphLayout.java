package dev.pyspy.output;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
        private final long total;
        private final long self;
        private long pruned;
        private List<Node> children = List.of();
        private double rootTotal;

        Node(String label, FrameInfo frame, int depth, long total, long self) {
            this.label = label;
            this.frame = frame;
            this.depth = depth;
            this.total = total;
            this.self = self;
        }

        /** The frame's label; {@code all} for the root. */
        public String label() {
            return label;
        }

        /** The first frame with this label in the profile; {@code null} for the root. */
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

        @Override
        public String toString() {
            return label + "[d=" + depth + " start=" + start + " total=" + total + " self=" + self + "]";
        }
    }

    /**
     * Builds the layout of a profile.
     *
     * <p>The tree is first built in flat arrays (a node is an index; children are found through one hash
     * table keyed by parent and label), so that profiles with millions of tree nodes cost little memory
     * and garbage; {@link Node} objects are made only for the nodes kept.
     *
     * @param minWidthFraction frames with fewer than this fraction of all samples are pruned (0 keeps all)
     */
    public static FlameGraphLayout build(Profile profile, double minWidthFraction) {
        if (!(minWidthFraction >= 0 && minWidthFraction < 1)) {
            throw new IllegalArgumentException("minWidthFraction must be in [0, 1): " + minWidthFraction);
        }
        // labels, interned: frames that print the same merge
        int frameCount = profile.frames().size();
        int[] frameLabel = new int[frameCount];
        Map<String, Integer> labelIds = new HashMap<>();
        List<String> labels = new ArrayList<>();
        List<FrameInfo> labelFrames = new ArrayList<>();
        for (int i = 0; i < frameCount; i++) {
            FrameInfo f = profile.frame(i);
            String label = f.label();
            Integer id = labelIds.get(label);
            if (id == null) {
                id = labels.size();
                labelIds.put(label, id);
                labels.add(label);
                labelFrames.add(f);
            }
            frameLabel[i] = id;
        }

        Tree t = new Tree();
        for (int s = 0; s < profile.stackCount(); s++) {
            long count = profile.count(s);
            if (count == 0) {
                continue;
            }
            int node = 0;
            t.total[0] += count;
            for (int id : profile.stack(s)) {
                node = t.child(node, frameLabel[id]);
                t.total[node] += count;
            }
            t.self[node] += count;
        }
        return finish(t, labels, labelFrames, minWidthFraction);
    }

    /** The merged tree as arrays; node 0 is the root, a child's index is always above its parent's. */
    private static final class Tree {
        int size = 1;
        int[] parent = {-1, 0, 0, 0, 0, 0, 0, 0};
        int[] label = new int[8];
        int[] depth = new int[8];
        long[] total = new long[8];
        long[] self = new long[8];
        // open addressing: key (parent << 32 | label) -> node index + 1 (0: empty)
        long[] keys = new long[16];
        int[] values = new int[16];

        int child(int p, int lab) {
            long key = ((long) p << 32) | (lab & 0xffffffffL);
            int mask = keys.length - 1;
            int h = mix(key) & mask;
            while (values[h] != 0) {
                if (keys[h] == key) {
                    return values[h] - 1;
                }
                h = (h + 1) & mask;
            }
            int n = size++;
            if (n == parent.length) {
                int cap = n * 2;
                parent = Arrays.copyOf(parent, cap);
                label = Arrays.copyOf(label, cap);
                depth = Arrays.copyOf(depth, cap);
                total = Arrays.copyOf(total, cap);
                self = Arrays.copyOf(self, cap);
            }
            parent[n] = p;
            label[n] = lab;
            depth[n] = depth[p] + 1;
            keys[h] = key;
            values[h] = n + 1;
            if (size * 2 > keys.length) {
                rehash();
            }
            return n;
        }

        private void rehash() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new int[oldValues.length * 2];
            int mask = keys.length - 1;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldValues[i] != 0) {
                    int h = mix(oldKeys[i]) & mask;
                    while (values[h] != 0) {
                        h = (h + 1) & mask;
                    }
                    keys[h] = oldKeys[i];
                    values[h] = oldValues[i];
                }
            }
        }

        private static int mix(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29) ^ (h >>> 47));
        }
    }

    private static FlameGraphLayout finish(Tree t, List<String> labels, List<FrameInfo> labelFrames,
                                           double minWidthFraction) {
        int n = t.size;
        long total = t.total[0];
        // A node is kept when total >= threshold; the root is always kept.
        double threshold = Math.max(minWidthFraction * total, Double.MIN_VALUE);

        // children of each node, sorted by label
        int[] labelRank = rankByLabel(labels);
        int[] childStart = new int[n + 1];
        for (int i = 1; i < n; i++) {
            childStart[t.parent[i] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            childStart[i + 1] += childStart[i];
        }
        int[] fill = Arrays.copyOf(childStart, n);
        long[] sortKeys = new long[Math.max(0, n - 1)];
        for (int i = 1; i < n; i++) {
            // rank in the high bits so that one sort of each segment orders siblings by label
            sortKeys[fill[t.parent[i]]++] = ((long) labelRank[t.label[i]] << 32) | i;
        }
        for (int p = 0; p < n; p++) {
            if (childStart[p + 1] - childStart[p] > 1) {
                Arrays.sort(sortKeys, childStart[p], childStart[p + 1]);
            }
        }
        // subtree sizes, for counting pruned frames (children have higher indices than parents)
        int[] subtree = new int[n];
        Arrays.fill(subtree, 1);
        for (int i = n - 1; i > 0; i--) {
            subtree[t.parent[i]] += subtree[i];
        }

        List<Node> order = new ArrayList<>();
        int maxDepth = 0;
        long prunedFrames = 0;
        Node root = new Node(ROOT_LABEL, null, 0, total, t.self[0]);
        root.start = 0;
        Deque<Object[]> work = new ArrayDeque<>();
        work.push(new Object[]{root, 0});
        while (!work.isEmpty()) {
            Object[] item = work.pop();
            Node node = (Node) item[0];
            int idx = (Integer) item[1];
            node.rootTotal = total;
            order.add(node);
            maxDepth = Math.max(maxDepth, node.depth);
            int from = childStart[idx];
            int to = childStart[idx + 1];
            if (from == to) {
                continue;
            }
            List<Node> kept = new ArrayList<>(to - from);
            List<Integer> keptIdx = new ArrayList<>(to - from);
            long x = node.start;
            for (int k = from; k < to; k++) {
                int c = (int) sortKeys[k];
                if (t.total[c] >= threshold) {
                    Node child = new Node(labels.get(t.label[c]), labelFrames.get(t.label[c]), t.depth[c],
                            t.total[c], t.self[c]);
                    child.start = x;
                    x += child.total;
                    kept.add(child);
                    keptIdx.add(c);
                } else {
                    node.pruned += t.total[c];
                    prunedFrames += subtree[c];
                }
            }
            node.children = kept.isEmpty() ? List.of() : Collections.unmodifiableList(kept);
            // push in reverse so that children are visited left to right (pre-order)
            for (int k = kept.size() - 1; k >= 0; k--) {
                work.push(new Object[]{kept.get(k), keptIdx.get(k)});
            }
        }
        return new FlameGraphLayout(root, Collections.unmodifiableList(order), maxDepth, prunedFrames);
    }

    /** For each label id, its position among all labels in {@link String#compareTo} order. */
    private static int[] rankByLabel(List<String> labels) {
        Integer[] ids = new Integer[labels.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> labels.get(a).compareTo(labels.get(b)));
        int[] rank = new int[ids.length];
        for (int r = 0; r < ids.length; r++) {
            rank[ids[r]] = r;
        }
        return rank;
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
