package dev.pyspy.sampler;

import dev.pyspy.util.LongIntMap;

import dev.pyspy.output.FrameInfo;
import dev.pyspy.output.Profile;
import dev.pyspy.output.ThreadInfo;
import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.ThreadSample;

import java.util.Arrays;

/**
 * Turns samples into a {@link Profile}: frames are interned by (process, code object id, line), so
 * a frame seen before costs one hash lookup and no allocation.
 */
public final class StackRecorder implements SampleConsumer {
    private final Profile profile;
    private final RecordOptions options;
    private final LongIntMap frameIds = new LongIntMap(1024);
    private int[] stack = new int[256];
    /** Per profile thread: the stack version last recorded and its stack id (an unchanged stack is not interned again). */
    private long[] lastVersions = new long[16];
    private int[] lastStacks = new int[16];

    public StackRecorder(Profile profile, RecordOptions options) {
        this.profile = profile;
        this.options = options;
    }

    public Profile profile() {
        return profile;
    }

    @Override
    public void accept(long nanosSinceStart, SampledProcess process, SampledThread thread, ThreadSample t) {
        if (thread.profileIndex < 0) {
            thread.profileIndex = profile.threadIndex(new ThreadInfo(process.pid(), thread.osThreadId, thread.name));
            thread.rootFrame = options.threads()
                    ? profile.frameId(FrameInfo.synthetic(profile.threads().get(thread.profileIndex).label())) : -1;
        }
        if (process.profileRootFrame < 0 && options.subprocesses()) {
            process.profileRootFrame = profile.frameId(FrameInfo.synthetic(process.label()));
        }
        int index = thread.profileIndex;
        if (t.stackVersion != 0 && index < lastVersions.length && lastVersions[index] == t.stackVersion) {
            profile.addSample(nanosSinceStart, index, lastStacks[index]);
            return;
        }
        int needed = t.depth + 2;
        if (stack.length < needed) {
            stack = Arrays.copyOf(stack, Math.max(needed, stack.length * 2));
        }
        int n = 0;
        if (options.subprocesses()) {
            stack[n++] = process.profileRootFrame;
        }
        if (thread.rootFrame >= 0) {
            stack[n++] = thread.rootFrame;
        }
        for (int i = t.depth - 1; i >= 0; i--) {
            stack[n++] = frameId(process, t.codes[i], t.lines[i]);
        }
        int stackId = profile.stackId(stack, n);
        if (index >= lastVersions.length) {
            int size = Math.max(index + 1, lastVersions.length * 2);
            lastVersions = Arrays.copyOf(lastVersions, size);
            lastStacks = Arrays.copyOf(lastStacks, size);
        }
        lastVersions[index] = t.stackVersion;
        lastStacks[index] = stackId;
        profile.addSample(nanosSinceStart, index, stackId);
    }

    private int frameId(SampledProcess process, CodeInfo code, int line) {
        int shownLine = !options.lineNumbers() ? 0 : options.byFunction() ? code.firstLine() : line;
        // code ids are per process: 12 bits of process index, 32 of code id, 20 of line
        long key = ((long) process.index() << 52) | ((long) code.id() << 20) | (shownLine & 0xfffffL);
        int id = frameIds.get(key, -1);
        if (id < 0) {
            String file = options.fullFilenames() ? code.filename() : code.shortFilename();
            id = profile.frameId(new FrameInfo(code.name(), file, shownLine, code.firstLine(), code.filename()));
            frameIds.put(key, id);
        }
        return id;
    }
}
