package dev.pyspy.output;

import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.sampler.RecordOptions;
import dev.pyspy.sampler.SampleConsumer;
import dev.pyspy.sampler.SampledProcess;
import dev.pyspy.sampler.TrackedThread;
import dev.pyspy.util.LongIntMap;

import java.util.Arrays;
import java.util.List;

/**
 * Turns samples into a {@link Profile} (the recording's consumer of samples, as
 * {@code top.TopAggregator} is the live view's): frames are interned by (process, code object id,
 * line), so a frame seen before costs one hash lookup and no allocation.
 */
public final class StackRecorder implements SampleConsumer {
    private final Profile profile;
    private final RecordOptions options;
    private final LongIntMap frameIds = new LongIntMap(1024);
    private int[] stack = new int[256];
    /** Per profile thread: the stack version last recorded and its stack id (an unchanged stack is not interned again). */
    private long[] lastVersions = new long[16];
    private int[] lastStacks = new int[16];
    /** Per profile thread: its {@code thread (TID): name} root frame id, -1 without {@code --threads}. */
    private int[] threadRootFrames = new int[16];
    private static final int[] NO_FRAMES = new int[0];
    /**
     * Per sampled process (by index): the ids of its {@code process PID:"cmdline"} root frames (the
     * processes above it in the tree, then its own); null until made.
     */
    private int[][] processRootFrames = new int[0][];

    public StackRecorder(Profile profile, RecordOptions options) {
        this.profile = profile;
        this.options = options;
    }

    public Profile profile() {
        return profile;
    }

    @Override
    public void accept(long nanosSinceStart, SampledProcess process, TrackedThread thread, RawThreadStack t) {
        if (thread.consumerIndex < 0) {
            thread.consumerIndex = addThread(process, thread);
        }
        int index = thread.consumerIndex;
        if (t.stackVersion != 0 && lastVersions[index] == t.stackVersion) {
            profile.addSample(nanosSinceStart, index, lastStacks[index]);
            return;
        }
        int[] processFrames = options.subprocesses() ? processRootFrames(process) : NO_FRAMES;
        int needed = t.depth + 1 + processFrames.length;
        if (stack.length < needed) {
            stack = Arrays.copyOf(stack, Math.max(needed, stack.length * 2));
        }
        int n = 0;
        for (int f : processFrames) {
            stack[n++] = f;
        }
        if (threadRootFrames[index] >= 0) {
            stack[n++] = threadRootFrames[index];
        }
        for (int i = t.depth - 1; i >= 0; i--) {
            stack[n++] = frameId(process, t.codes[i], t.lines[i]);
        }
        int stackId = profile.stackId(stack, n);
        lastVersions[index] = t.stackVersion;
        lastStacks[index] = stackId;
        profile.addSample(nanosSinceStart, index, stackId);
    }

    /** The thread's index in the profile, with room for it in the per-thread arrays. */
    private int addThread(SampledProcess process, TrackedThread thread) {
        int index = profile.threadIndex(new ProfileThread(process.pid(), thread.osThreadId, thread.name));
        if (index >= lastVersions.length) {
            int size = Math.max(index + 1, lastVersions.length * 2);
            lastVersions = Arrays.copyOf(lastVersions, size);
            lastStacks = Arrays.copyOf(lastStacks, size);
            threadRootFrames = Arrays.copyOf(threadRootFrames, size);
        }
        threadRootFrames[index] = options.threads()
                ? profile.frameId(FrameInfo.synthetic(profile.threads().get(index).label())) : -1;
        return index;
    }

    /** The process's root frames: the processes above it in the tree, then its own. */
    private int[] processRootFrames(SampledProcess process) {
        int p = process.index();
        if (p >= processRootFrames.length) {
            processRootFrames = Arrays.copyOf(processRootFrames, Math.max(p + 1, processRootFrames.length * 2));
        }
        if (processRootFrames[p] == null) {
            List<String> above = process.ancestorLabels();
            int[] ids = new int[above.size() + 1];
            for (int i = 0; i < above.size(); i++) {
                ids[i] = profile.frameId(FrameInfo.synthetic(above.get(i)));
            }
            ids[above.size()] = profile.frameId(FrameInfo.synthetic(process.label()));
            processRootFrames[p] = ids;
        }
        return processRootFrames[p];
    }

    private int frameId(SampledProcess process, CodeInfo code, int line) {
        int shownLine = !options.lineNumbers() ? 0 : options.byFunction() ? code.firstLine() : line;
        // code ids are per process: 12 bits of process index, 32 of code id, 20 of line
        long key = ((long) process.index() << 52) | ((long) code.id() << 20) | (shownLine & 0xfffffL);
        int id = frameIds.get(key, -1);
        if (id < 0) {
            String file = options.fullFilenames() ? code.filename() : code.shortFilename();
            String name = options.plainNames() ? FrameInfo.plainName(code.name()) : code.name();
            int column = options.lineNumbers() && !options.byFunction() ? code.column() : 0;
            id = profile.frameId(code.filename() == null ? FrameInfo.synthetic(code.name()) // a cut's marker
                    : new FrameInfo(name, file, shownLine, code.firstLine(), code.filename(), column, code.instruction()));
            frameIds.put(key, id);
        }
        return id;
    }
}
