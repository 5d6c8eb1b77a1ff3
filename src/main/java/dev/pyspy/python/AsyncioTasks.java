package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.model.AsyncTask;
import dev.pyspy.model.Frame;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pending asyncio tasks of a process, read from outside ({@code --async-aware}): each with its
 * name, its chain of awaiting coroutines, what it waits on and which tasks await it. Tasks are found
 * through {@link AsyncioTaskFinder}; a task whose coroutine is on a thread's stack is running, and
 * its frames are that thread's, from the innermost up to the task's coroutine.
 *
 * <p>Which tasks await which: a task waiting on another task (an {@code await task}) or on a
 * {@code gather}'s future (its {@code _children}), and a {@code TaskGroup}'s child, whose first done
 * callback is the group's bound {@code _on_task_done} (the group's {@code _parent_task} awaits it).
 */
public final class AsyncioTasks {
    private static final int MAX_NAME = 1024;

    private final PythonProcess process;
    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final PyObjects objects;
    private final CoroutineChain chain;
    private final AsyncioTaskFinder finder;
    private final TaskTypes types;
    private final TaskAwaiters awaiters;

    private AsyncioTasks(PythonProcess process) throws PyspyException {
        Layout layout = process.layout();
        this.o = new AsyncioOffsets(AsyncioDebugOffsets.over(layout, process));
        this.process = process;
        this.reads = new ObjectReads(process.memory(), layout);
        this.objects = process.objects();
        this.types = new TaskTypes(reads, objects, layout);
        this.chain = new CoroutineChain(o, reads, process.memory(), layout, process.codes(), types);
        this.awaiters = new TaskAwaiters(o, reads, objects, types);
        this.finder = new AsyncioTaskFinder(o, reads, objects, process.interpreter(), types::isTask);
    }

    /** The reader for {@code process}; fails naming the versions that work when its version has no asyncio layout. */
    public static AsyncioTasks of(PythonProcess process) throws PyspyException {
        return new AsyncioTasks(process);
    }

    /**
     * Every pending task, as the walk {@code snapshot} (just taken, the process still paused) shows
     * the threads. {@code fullFilenames}: frames show whole paths instead of short ones.
     */
    public List<AsyncTask> read(RawStacks snapshot, boolean fullFilenames) throws MemoryReadException {
        Map<Long, int[]> onThreads = frameIndex(snapshot);
        Map<Long, Read> pending = new LinkedHashMap<>();
        awaiters.clear();
        for (long task : finder.find(snapshot)) {
            Read r = readTask(task, snapshot, onThreads);
            if (r != null) {
                pending.put(task, r);
            }
        }
        List<AsyncTask> out = new ArrayList<>(pending.size());
        for (Map.Entry<Long, Read> e : pending.entrySet()) {
            Read r = e.getValue();
            out.add(new AsyncTask(process.pid(), e.getKey(), r.name, r.threadId != 0, r.threadId,
                    frames(r.frames, fullFilenames), r.waiting,
                    awaitedBy(e.getKey())));
        }
        return out;
    }

    /** What one task's read gave. */
    private static final class Read {
        String name;
        long threadId;
        final RawThreadStack frames = new RawThreadStack();
        AsyncTask.Waiting waiting;
    }

    /** The tasks awaiting {@code task}, as the last {@link #read} found them. */
    private List<Long> awaitedBy(long task) {
        List<Long> out = new ArrayList<>();
        for (long p : awaiters.parentsOf(task)) {
            out.add(p);
        }
        return out;
    }

    private Read readTask(long task, RawStacks snapshot, Map<Long, int[]> onThreads) throws MemoryReadException {
        ByteBuffer b = reads.read(task, o.taskSize);
        if (b.getInt(o.futState) != o.statePending) {
            return null; // done or cancelled: asyncio.all_tasks() leaves it out too
        }
        long coro = b.getLong(o.taskCoro);
        long nameObject = b.getLong(o.taskName);
        long waiter = b.getLong(o.taskFutWaiter);
        long callback0 = b.getLong(o.futCallback0);
        Read r = new Read();
        r.name = nameOf(nameObject);
        long frame = coro == 0 ? 0 : chain.frameAddress(coro);
        int[] where = frame == 0 ? null : onThreads.get(frame);
        if (where != null) {
            RawThreadStack t = snapshot.thread(where[0]);
            r.threadId = t.threadId;
            for (int f = 0; f <= where[1]; f++) {
                r.frames.push(t.codes[f], t.lines[f], t.frameAddresses[f], false);
            }
        } else {
            chain.pushChain(coro, r.frames);
        }
        r.waiting = awaiters.add(task, waiter, callback0);
        return r;
    }

    private String nameOf(long name) throws MemoryReadException {
        if (name == 0) {
            return null;
        }
        String type = objects.typeName(name);
        if (type.equals("int")) {
            return "Task-" + objects.longValue(name); // a name made only when asked for (3.13+)
        }
        return type.equals("str") ? objects.readString(name, MAX_NAME) : objects.repr(name, MAX_NAME);
    }

    /** Frame address → {thread index, frame index} for every frame the walk saw. */
    private static Map<Long, int[]> frameIndex(RawStacks snapshot) {
        Map<Long, int[]> index = new HashMap<>();
        for (int i = 0; i < snapshot.threadCount(); i++) {
            RawThreadStack t = snapshot.thread(i);
            for (int f = 0; f < t.depth; f++) {
                index.putIfAbsent(t.frameAddresses[f], new int[]{i, f});
            }
        }
        return index;
    }

    private static List<Frame> frames(RawThreadStack t, boolean fullFilenames) {
        List<Frame> out = new ArrayList<>(t.depth);
        for (int f = 0; f < t.depth; f++) {
            CodeInfo code = t.codes[f];
            out.add(new Frame(code.name(), code.filename(), fullFilenames ? code.filename() : code.shortFilename(),
                    null, t.lines[f], List.of(), false, false));
        }
        return out;
    }
}
