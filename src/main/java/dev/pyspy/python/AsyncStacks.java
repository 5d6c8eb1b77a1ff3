package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code record}/{@code top --async-aware}: turns each sampled thread that is running an asyncio
 * task into that task's stack: its frames up to the task's coroutine, rooted at {@code <task NAME>}
 * instead of the event loop's frames. Applied to a walk's stacks while the target is still paused.
 *
 * <p>The running tasks: from 3.14 each thread state's {@code asyncio_running_task}; before, the
 * values of {@code asyncio.tasks._current_tasks} (loop → task), each matched to the thread whose
 * stack holds its coroutine's frame. What is learnt of a task (its coroutine, its root frame) is
 * kept by address and re-checked with one read per sample.
 */
public final class AsyncStacks {
    private static final int MAX_RUNNING = 64;
    /** While asyncio is not imported yet, {@code _current_tasks} is looked for again this often (samples). */
    private static final int LOOKUP_EVERY = 100;

    private final AsyncioOffsets o;
    private final ObjectReads reads;
    private final PyObjects objects;
    private final CodeCache codes;
    private final long interpreter;
    private final int runningTaskOffset;
    private final long[] running = new long[MAX_RUNNING];
    private int runningCount;
    private final PyObjects.ItemVisitor collect = (key, value) -> {
        if (runningCount < MAX_RUNNING) {
            running[runningCount++] = value;
        }
    };
    private final Map<Long, Task> tasks = new HashMap<>();
    private final boolean allTasks;
    private AsyncioTaskFinder finder;
    private CoroutineChain chain;
    private final RawStacks suspended = new RawStacks();
    private final RawThreadStack outerFirst = new RawThreadStack();
    private final java.util.Set<Long> runningNow = new java.util.HashSet<>();
    private long currentTasks;
    private int samplesSinceLookup = LOOKUP_EVERY;

    /** What is known of one task: its coroutine and name objects (re-checked each sample) and its root frame. */
    private static final class Task {
        long coro;
        long name;
        CodeInfo root;
    }

    private AsyncStacks(PythonProcess process, boolean allTasks) throws PyspyException {
        this.allTasks = allTasks;
        Layout layout = AsyncioDebugOffsets.over(process.layout(), process);
        this.o = new AsyncioOffsets(layout);
        this.reads = new ObjectReads(process.memory(), layout);
        this.objects = process.objects();
        this.codes = process.codes();
        this.interpreter = process.interpreter();
        this.runningTaskOffset = layout.offsetOr("_PyThreadStateImpl.asyncio_running_task", AsyncioOffsets.ABSENT);
        if (o.hasTaskLists() && runningTaskOffset == AsyncioOffsets.ABSENT) {
            throw new PyspyException(dev.pyspy.ExitCode.UNSUPPORTED_VERSION,
                    layout + " does not say where a thread keeps its running asyncio task");
        }
        if (allTasks) {
            this.finder = new AsyncioTaskFinder(o, reads, objects, interpreter, this::isTask);
            this.chain = new CoroutineChain(o, reads, process.memory(), layout, codes);
        }
    }

    /** For {@code process}; fails naming the versions that work when its version has no asyncio layout. */
    public static AsyncStacks of(PythonProcess process) throws PyspyException {
        return new AsyncStacks(process, false);
    }

    /**
     * {@code allTasks} ({@code --async-mode all}): also gives, per sample, the stack of every task
     * suspended in an await ({@link #suspendedTasks()}), for a wall-clock view of where tasks wait.
     */
    public static AsyncStacks of(PythonProcess process, boolean allTasks) throws PyspyException {
        return new AsyncStacks(process, allTasks);
    }

    /** With all tasks: the suspended tasks' stacks of the last {@link #rewrite}, each rooted at its task. */
    public RawStacks suspendedTasks() {
        return suspended;
    }

    /** Re-roots every stack of {@code snapshot} that runs a task at that task. */
    public void rewrite(RawStacks snapshot) throws MemoryReadException {
        runningCount = 0;
        if (runningTaskOffset != AsyncioOffsets.ABSENT) {
            for (int i = 0; i < snapshot.threadCount() && runningCount < MAX_RUNNING; i++) {
                long task = reads.readLong(snapshot.thread(i).threadState + runningTaskOffset);
                if (task != 0) {
                    running[runningCount++] = task;
                }
            }
        } else {
            long dict = currentTasks();
            if (dict != 0) {
                objects.dictItems(dict, MAX_RUNNING, collect);
            }
        }
        for (int r = 0; r < runningCount; r++) {
            reroot(snapshot, running[r]);
        }
        if (allTasks) {
            readSuspended(snapshot);
        }
    }

    /** Each pending task not running now: its chain of awaiting coroutines under its root. */
    private void readSuspended(RawStacks snapshot) throws MemoryReadException {
        suspended.reset();
        runningNow.clear();
        for (int r = 0; r < runningCount; r++) {
            runningNow.add(running[r]);
        }
        for (long address : finder.find(snapshot)) {
            if (runningNow.contains(address)) {
                continue;
            }
            ByteBuffer b = reads.read(address, o.taskSize);
            if (b.getInt(o.futState) != o.statePending) {
                continue;
            }
            long coro = b.getLong(o.taskCoro);
            long name = b.getLong(o.taskName);
            outerFirst.clear();
            long c = coro;
            for (int depth = 0; depth < CoroutineChain.MAX_DEPTH && c != 0 && isCoroutine(c); depth++) {
                long frame = chain.frameAddress(c);
                if (frame == 0) {
                    break;
                }
                chain.pushFrame(frame, outerFirst);
                c = chain.awaited(c, frame);
            }
            if (outerFirst.depth == 0) {
                continue; // not started yet, or running on a thread this walk did not see
            }
            RawThreadStack t = suspended.next();
            for (int i = outerFirst.depth - 1; i >= 0; i--) {
                t.push(outerFirst.codes[i], outerFirst.lines[i], outerFirst.frameAddresses[i], false);
            }
            t.push(codes.marker("<task " + nameOf(name) + ">"), 0, 0, true);
        }
    }

    private boolean isTask(long obj) throws MemoryReadException {
        return obj != 0 && (obj & 7) == 0 && objects.typeName(obj).equals("_asyncio.Task");
    }

    private boolean isCoroutine(long obj) throws MemoryReadException {
        String type = objects.typeName(obj);
        return type.equals("coroutine") || type.equals("generator");
    }

    private void reroot(RawStacks snapshot, long taskAddress) throws MemoryReadException {
        ByteBuffer b = reads.read(taskAddress, o.taskSize);
        long coro = b.getLong(o.taskCoro);
        long name = b.getLong(o.taskName);
        if (coro == 0) {
            return;
        }
        Task task = tasks.get(taskAddress);
        if (task == null || task.coro != coro || task.name != name) {
            if (tasks.size() > 1 << 16) {
                tasks.clear();
            }
            task = new Task();
            task.coro = coro;
            task.name = name;
            task.root = codes.marker("<task " + nameOf(name) + ">");
            tasks.put(taskAddress, task);
        }
        long frame = o.genFrame != AsyncioOffsets.ABSENT ? reads.readLong(coro + o.genFrame) : coro + o.genInterpreterFrame;
        if (frame == 0) {
            return;
        }
        for (int i = 0; i < snapshot.threadCount(); i++) {
            RawThreadStack t = snapshot.thread(i);
            for (int f = 0; f < t.depth && f < RawThreadStack.KEPT_INNER; f++) {
                if (t.frameAddresses[f] == frame) {
                    t.rootAt(f + 1, task.root);
                    if (t.stackVersion != 0) {
                        t.stackVersion = t.stackVersion * 0x9E3779B97F4A7C15L + task.root.id() + 1;
                    }
                    return;
                }
            }
        }
    }

    private String nameOf(long name) throws MemoryReadException {
        if (name == 0) {
            return "?";
        }
        String type = objects.typeName(name);
        if (type.equals("int")) {
            return "Task-" + objects.longValue(name);
        }
        return type.equals("str") ? objects.readString(name, 256) : objects.repr(name, 256);
    }

    /** {@code asyncio.tasks._current_tasks}, once asyncio is imported; 0 before. */
    private long currentTasks() throws MemoryReadException {
        if (currentTasks == 0 && ++samplesSinceLookup >= LOOKUP_EVERY) {
            samplesSinceLookup = 0;
            long modules = reads.readLong(interpreter + o.modules);
            long module = modules == 0 ? 0 : objects.dictLookup(modules, "asyncio.tasks");
            long dict = module == 0 ? 0 : reads.readLong(module + o.moduleDict);
            long found = dict == 0 ? 0 : objects.dictLookup(dict, "_current_tasks");
            if (found != 0 && objects.typeName(found).equals("dict")) {
                currentTasks = found;
            }
        }
        return currentTasks;
    }
}
