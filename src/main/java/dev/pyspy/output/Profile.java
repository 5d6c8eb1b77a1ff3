package dev.pyspy.output;

import dev.pyspy.util.LongIntMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a recording collected, in the form every output writer reads.
 * Frames and stacks are interned: a stack is an array of frame ids, root first, stored once;
 * a sample is (time, thread, stack). Counts per stack and per (thread, stack) are always kept; the
 * timeline of individual samples only when asked for (speedscope and chrome traces need it), so a
 * day-long recording for a flame graph takes memory proportional to its distinct stacks, not its
 * length. Not thread-safe: one sampler thread appends.
 */
public final class Profile {
    private final String title;
    private final double intervalSeconds;
    private final long startEpochMillis;

    private final List<FrameInfo> frames = new ArrayList<>();
    private final Map<FrameInfo, Integer> frameIds = new HashMap<>();
    private final List<int[]> stacks = new ArrayList<>();
    private final Map<StackKey, Integer> stackIds = new HashMap<>();
    private long[] stackCounts = new long[64];
    private final List<ProfileThread> threads = new ArrayList<>();
    private final Map<ProfileThread, Integer> threadIds = new HashMap<>();

    private long[] sampleTimes = new long[1024];
    private int[] sampleThreads = new int[1024];
    private int[] sampleStacks = new int[1024];
    private int sampleCount;
    private long totalSamples;
    private final LongIntMap threadStackSlots = new LongIntMap(256);
    private long[] threadStackCounts = new long[256];
    private final boolean keepTimeline;
    private long durationNanos;
    private String mode;
    private String modeDescription;

    public Profile(String title, double intervalSeconds, long startEpochMillis) {
        this(title, intervalSeconds, startEpochMillis, true);
    }

    /** @param keepTimeline whether to keep every sample in order (see {@link #sampleCount()}) */
    public Profile(String title, double intervalSeconds, long startEpochMillis, boolean keepTimeline) {
        this.title = title;
        this.intervalSeconds = intervalSeconds;
        this.startEpochMillis = startEpochMillis;
        this.keepTimeline = keepTimeline;
    }

    public int frameId(FrameInfo frame) {
        Integer id = frameIds.get(frame);
        if (id == null) {
            id = frames.size();
            frames.add(frame);
            frameIds.put(frame, id);
        }
        return id;
    }

    /** Interns the first {@code length} ids of {@code frameIds} (root first); the array may be reused by the caller. */
    public int stackId(int[] frameIdsRootFirst, int length) {
        StackKey probe = new StackKey(frameIdsRootFirst, length);
        Integer id = stackIds.get(probe);
        if (id == null) {
            int[] copy = Arrays.copyOf(frameIdsRootFirst, length);
            id = stacks.size();
            stacks.add(copy);
            stackIds.put(new StackKey(copy, length), id);
            if (id >= stackCounts.length) {
                stackCounts = Arrays.copyOf(stackCounts, stackCounts.length * 2);
            }
        }
        return id;
    }

    public int threadIndex(ProfileThread thread) {
        Integer id = threadIds.get(thread);
        if (id == null) {
            id = threads.size();
            threads.add(thread);
            threadIds.put(thread, id);
        }
        return id;
    }

    /** Records one sample; {@code nanosSinceStart} must not decrease between calls for the same thread. */
    public void addSample(long nanosSinceStart, int threadIndex, int stackId) {
        addCount(threadIndex, stackId, 1);
        durationNanos = Math.max(durationNanos, nanosSinceStart);
        if (keepTimeline) {
            appendToTimeline(nanosSinceStart, threadIndex, stackId);
        }
    }

    /**
     * Records {@code count} samples of one stack at once, for a profile without a timeline (a collapsed
     * file's weights may be nanoseconds or bytes: far more than could be kept one by one).
     *
     * @throws ArithmeticException if the profile's total would pass {@link Long#MAX_VALUE}
     */
    public void addSamples(long nanosSinceStart, int threadIndex, int stackId, long count) {
        if (keepTimeline) {
            throw new IllegalStateException("a profile with a timeline takes samples one by one");
        }
        addCount(threadIndex, stackId, count);
        durationNanos = Math.max(durationNanos, nanosSinceStart);
    }

    // every other sum (per stack, per thread and stack, a flame graph's node totals) is at most the total
    private void addCount(int threadIndex, int stackId, long count) {
        totalSamples = Math.addExact(totalSamples, count);
        stackCounts[stackId] += count;
        long pair = ((long) threadIndex << 32) | stackId;
        int slot = threadStackSlots.get(pair, -1);
        if (slot < 0) {
            slot = threadStackSlots.size();
            threadStackSlots.put(pair, slot);
            if (slot == threadStackCounts.length) {
                threadStackCounts = Arrays.copyOf(threadStackCounts, slot * 2);
            }
        }
        threadStackCounts[slot] += count;
    }

    private void appendToTimeline(long nanosSinceStart, int threadIndex, int stackId) {
        if (sampleCount == sampleTimes.length) {
            int n = sampleCount * 2;
            sampleTimes = Arrays.copyOf(sampleTimes, n);
            sampleThreads = Arrays.copyOf(sampleThreads, n);
            sampleStacks = Arrays.copyOf(sampleStacks, n);
        }
        sampleTimes[sampleCount] = nanosSinceStart;
        sampleThreads[sampleCount] = threadIndex;
        sampleStacks[sampleCount] = stackId;
        sampleCount++;
    }

    public void setDurationNanos(long durationNanos) {
        this.durationNanos = Math.max(this.durationNanos, durationNanos);
    }

    public String title() {
        return title;
    }

    /**
     * Records what a sample counts ({@code --mode}): its name ({@code active}, {@code wall}, {@code cpu},
     * {@code gil}, {@code exception}) and a few words saying it, which the writers put in their metadata.
     */
    public void setMode(String name, String description) {
        this.mode = name;
        this.modeDescription = description;
    }

    /** The sampling mode's name, or null when unknown (a profile read from collapsed stacks). */
    public String mode() {
        return mode;
    }

    /** {@code mode: NAME (what a sample counts)}, or null when the mode is unknown. */
    public String modeLabel() {
        if (mode == null) {
            return null;
        }
        return modeDescription == null ? "mode: " + mode : "mode: " + mode + " (" + modeDescription + ")";
    }

    /** Nominal time one sample stands for: 1 / rate. */
    public double intervalSeconds() {
        return intervalSeconds;
    }

    public long startEpochMillis() {
        return startEpochMillis;
    }

    public long durationNanos() {
        return durationNanos;
    }

    public List<FrameInfo> frames() {
        return Collections.unmodifiableList(frames);
    }

    public FrameInfo frame(int id) {
        return frames.get(id);
    }

    public int stackCount() {
        return stacks.size();
    }

    /** Frame ids of a stack, root first. Do not modify. */
    public int[] stack(int stackId) {
        return stacks.get(stackId);
    }

    /** Number of samples that had exactly this stack. */
    public long count(int stackId) {
        return stackCounts[stackId];
    }

    public List<ProfileThread> threads() {
        return Collections.unmodifiableList(threads);
    }

    /** Number of samples in the timeline (all samples when it is kept, else 0); see {@link #totalSamples()}. */
    public int sampleCount() {
        return sampleCount;
    }

    /** Number of samples recorded, whether or not the timeline is kept. */
    public long totalSamples() {
        return totalSamples;
    }

    public boolean keepsTimeline() {
        return keepTimeline;
    }

    /** Every (thread index &lt;&lt; 32 | stack id) that has samples. */
    public long[] threadStackPairs() {
        long[] out = new long[threadStackSlots.size()];
        threadStackSlots.forEach((key, slot) -> out[slot] = key);
        return out;
    }

    /** Samples of one (thread index &lt;&lt; 32 | stack id) pair. */
    public long threadStackCount(long pair) {
        int slot = threadStackSlots.get(pair, -1);
        return slot < 0 ? 0 : threadStackCounts[slot];
    }

    public long sampleTimeNanos(int sample) {
        return sampleTimes[sample];
    }

    public int sampleThread(int sample) {
        return sampleThreads[sample];
    }

    public int sampleStack(int sample) {
        return sampleStacks[sample];
    }

    private static final class StackKey {
        private final int[] ids;
        private final int length;
        private final int hash;

        StackKey(int[] ids, int length) {
            this.ids = ids;
            this.length = length;
            int h = 1;
            for (int i = 0; i < length; i++) {
                h = 31 * h + ids[i];
            }
            this.hash = h;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StackKey k && k.length == length
                    && Arrays.equals(ids, 0, length, k.ids, 0, k.length);
        }
    }
}
