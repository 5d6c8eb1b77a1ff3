package dev.pyspy.sampler;

import dev.pyspy.PyspyException;
import dev.pyspy.python.NativeFrameMerger;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.python.RawStacks;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.unwind.NativeStacks;
import dev.pyspy.unwind.NativeUnwinder;

/**
 * {@code record/top --native} for one process: while it is paused, each thread's native stack is
 * unwound into a buffer of its own ({@link #unwind}); once it runs again, each kept thread's stack is merged
 * (native frames with the Python frames spliced in, {@link #merged}), so naming costs the target
 * no pause. Threads left running (blocked in the kernel, where sleeping threads are not kept) have
 * no registers to read and keep their Python frames alone.
 */
final class NativeSampling {

    private final PythonProcess python;
    private final NativeFrameMerger merger;
    private long[][] addresses = new long[0][];
    private long[][] tops = new long[0][];
    private int[] counts = new int[0];
    /** The merged stacks handed to the consumer; the walk's own are left for the walker to reuse. */
    private RawThreadStack[] merged = new RawThreadStack[0];

    NativeSampling(PythonProcess python) throws PyspyException {
        this.python = python;
        this.merger = new NativeFrameMerger(python, new NativeStacks(python.pid(), python.memory()));
    }

    /** With the process paused: {@code tids[i]} is the kernel tid of the walk's thread i (0: unknown). */
    void unwind(RawStacks snapshot, TrackedThread[] slots) {
        int n = snapshot.threadCount();
        if (addresses.length < n) {
            long[][] grown = new long[Math.max(n, addresses.length * 2)][];
            System.arraycopy(addresses, 0, grown, 0, addresses.length);
            for (int i = addresses.length; i < grown.length; i++) {
                grown[i] = new long[NativeUnwinder.MAX_FRAMES];
            }
            addresses = grown;
            long[][] grownTops = new long[grown.length][];
            System.arraycopy(tops, 0, grownTops, 0, tops.length);
            for (int i = tops.length; i < grownTops.length; i++) {
                grownTops[i] = new long[NativeUnwinder.MAX_FRAMES];
            }
            tops = grownTops;
            counts = new int[grown.length];
            RawThreadStack[] stacks = new RawThreadStack[grown.length];
            System.arraycopy(merged, 0, stacks, 0, merged.length);
            for (int i = merged.length; i < stacks.length; i++) {
                stacks[i] = new RawThreadStack();
            }
            merged = stacks;
        }
        for (int i = 0; i < n; i++) {
            long tid = slots[i] == null ? 0 : slots[i].osThreadId;
            counts[i] = tid > 0 ? merger.unwind((int) tid, addresses[i], tops[i]) : -1;
        }
    }

    /** Once the process runs again: thread {@code i}'s merged stack (valid until the next sample). */
    RawThreadStack merged(RawStacks snapshot, int i) {
        merger.mergeRaw(snapshot.thread(i), addresses[i], tops[i], counts[i], python.codes(), merged[i]);
        return merged[i];
    }
}
