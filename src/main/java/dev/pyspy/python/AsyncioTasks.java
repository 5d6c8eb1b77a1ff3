package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.model.AsyncTask;
import dev.pyspy.model.Frame;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    private static final String TASK_TYPE = "_asyncio.Task";
    private static final int MAX_NAME = 1024;
    private static final int MAX_CHILDREN = 1 << 16;

    private final PythonProcess process;
    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final PyObjects objects;
    private final CoroutineChain chain;
    private final AsyncioTaskFinder finder;
    private final int typeBase;
    private final int typeFlags;
    private final Map<Long, Boolean> taskTypes = new HashMap<>();

    private AsyncioTasks(PythonProcess process) throws PyspyException {
        Layout layout = process.layout();
        this.o = new AsyncioOffsets(AsyncioDebugOffsets.over(layout, process));
        this.process = process;
        this.reads = new ObjectReads(process.memory(), layout);
        this.objects = process.objects();
        this.chain = new CoroutineChain(o, reads, process.memory(), layout, process.codes());
        this.typeBase = layout.offset("PyTypeObject.tp_base");
        this.typeFlags = layout.offset("PyTypeObject.tp_flags");
        this.finder = new AsyncioTaskFinder(o, reads, objects, process.interpreter(), this::isTask);
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
        for (long task : finder.find(snapshot)) {
            Read r = readTask(task, snapshot, onThreads);
            if (r != null) {
                pending.put(task, r);
            }
        }
        Map<Long, Set<Long>> awaitedBy = new HashMap<>();
        for (Map.Entry<Long, Read> e : pending.entrySet()) {
            Read r = e.getValue();
            if (r.waiting != null) {
                for (long child : r.waiting.tasks()) {
                    awaitedBy.computeIfAbsent(child, k -> new LinkedHashSet<>()).add(e.getKey());
                }
            }
            if (r.groupParent != 0) {
                awaitedBy.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>()).add(r.groupParent);
            }
        }
        List<AsyncTask> out = new ArrayList<>(pending.size());
        for (Map.Entry<Long, Read> e : pending.entrySet()) {
            Read r = e.getValue();
            out.add(new AsyncTask(process.pid(), e.getKey(), r.name, r.threadId != 0, r.threadId,
                    frames(r.frames, fullFilenames), r.waiting,
                    List.copyOf(awaitedBy.getOrDefault(e.getKey(), Set.of()))));
        }
        return out;
    }

    /** What one task's read gave. */
    private static final class Read {
        String name;
        long threadId;
        final RawThreadStack frames = new RawThreadStack();
        AsyncTask.Waiting waiting;
        long groupParent;
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
            suspendedChain(coro, r.frames);
        }
        r.waiting = waiter == 0 ? null : waitingOn(waiter);
        r.groupParent = callback0 == 0 ? 0 : groupParent(callback0);
        return r;
    }

    /** The chain of a suspended coroutine: each frame and the coroutine it awaits, innermost first. */
    private void suspendedChain(long coro, RawThreadStack out) throws MemoryReadException {
        RawThreadStack outerFirst = new RawThreadStack();
        long c = coro;
        for (int depth = 0; depth < CoroutineChain.MAX_DEPTH && c != 0 && isGenerator(c); depth++) {
            long frame = chain.frameAddress(c);
            if (frame == 0) {
                break;
            }
            chain.pushFrame(frame, outerFirst);
            c = chain.awaited(c, frame);
        }
        for (int i = outerFirst.depth - 1; i >= 0; i--) {
            out.push(outerFirst.codes[i], outerFirst.lines[i], outerFirst.frameAddresses[i], false);
        }
    }

    /** A task awaited (an {@code await task}), a gather's children, or a plain future (no tasks). */
    private AsyncTask.Waiting waitingOn(long future) throws MemoryReadException {
        String type = objects.typeName(future);
        if (isTask(future)) {
            return new AsyncTask.Waiting(type, List.of(future));
        }
        long children = objects.attribute(future, "_children");
        List<Long> tasks = new ArrayList<>();
        if (children != 0 && objects.typeName(children).equals("list")) {
            for (long child : listItems(children)) {
                if (isTask(child)) {
                    tasks.add(child);
                }
            }
        }
        return new AsyncTask.Waiting(type, List.copyOf(tasks));
    }

    /** The parent task of the TaskGroup whose bound {@code _on_task_done} is this callback, else 0. */
    private long groupParent(long callback) throws MemoryReadException {
        if (!isBuiltin(callback, "method")) {
            return 0;
        }
        long self = reads.readLong(callback + o.methodSelf);
        long parent = self == 0 ? 0 : objects.attribute(self, "_parent_task");
        return parent != 0 && isTask(parent) ? parent : 0;
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

    private long[] listItems(long list) throws MemoryReadException {
        long n = reads.readLong(list + o.varSize);
        ObjectReads.checkLength(list, n);
        if (n > MAX_CHILDREN) {
            throw new MemoryReadException(String.format("list at 0x%x has implausible length %d", list, n));
        }
        return reads.readPointers(reads.readLong(list + o.listItems), (int) n);
    }

    /** An {@code asyncio.Task} of the C implementation, or of a subclass of it. */
    boolean isTask(long obj) throws MemoryReadException {
        if (obj == 0 || (obj & 7) != 0) {
            return false;
        }
        long type = objects.typeOf(obj);
        Boolean known = taskTypes.get(type);
        if (known == null) {
            known = false;
            long t = type;
            for (int i = 0; i < 32 && t != 0; i++) {
                // a heap type from 3.12 on; a class written in Python has no module in its tp_name
                if (objects.nameOfType(t).equals(TASK_TYPE)) {
                    known = true;
                    break;
                }
                t = reads.readLong(t + typeBase);
            }
            taskTypes.put(type, known);
        }
        return known;
    }

    /** A coroutine or generator object (the interpreter's own types, not a class named alike). */
    private boolean isGenerator(long obj) throws MemoryReadException {
        return isBuiltin(obj, "coroutine") || isBuiltin(obj, "generator");
    }

    private boolean isBuiltin(long obj, String name) throws MemoryReadException {
        return isBuiltinType(objects.typeOf(obj), name);
    }

    private boolean isBuiltinType(long type, String name) throws MemoryReadException {
        return (reads.readLong(type + typeFlags) & PyTypes.TPFLAGS_HEAPTYPE) == 0 && objects.nameOfType(type).equals(name);
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
