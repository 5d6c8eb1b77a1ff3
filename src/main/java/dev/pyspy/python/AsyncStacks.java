package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code record}/{@code top --async-aware}: turns each sampled thread that is running an asyncio
 * task into that task's stack: its frames up to the task's coroutine, rooted at {@code <task NAME>}
 * instead of the event loop's frames, and below that root the chain of tasks awaiting it, each as its
 * suspended coroutine chain under its own root, as CPython 3.15's sampler shows them. Applied to a
 * walk's stacks while the target is still paused.
 *
 * <p>The running tasks: from 3.14 each thread state's {@code asyncio_running_task}; before, the
 * values of {@code asyncio.tasks._current_tasks} (loop → task), each matched to the thread whose
 * stack holds its coroutine's frame. Who awaits whom is learnt from every pending task
 * ({@link TaskAwaiters}): each pass with all tasks, else every {@link #RESCAN_EVERY} samples and when
 * a running task is one the last look did not see.
 */
public final class AsyncStacks {
    private static final int MAX_RUNNING = 64;
    /** While asyncio is not imported yet, {@code _current_tasks} is looked for again this often (samples). */
    private static final int LOOKUP_EVERY = 100;
    /** Running tasks only: who awaits whom is learnt again this often (samples)... */
    private static final int RESCAN_EVERY = 100;
    /** ...and at most this often for a running task the last look did not see. */
    private static final int RESCAN_NEW_EVERY = 10;
    /** Longer chains of awaiting tasks are cut (a cycle, or garbage). */
    private static final int MAX_AWAITERS = 64;

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
    private final TaskTypes types;
    private final AsyncioTaskFinder finder;
    private final CoroutineChain chain;
    private final TaskAwaiters awaiters;
    private final RawStacks suspended = new RawStacks();
    private final Set<Long> runningNow = new HashSet<>();
    /** The pending tasks of the last look, in the order found. */
    private long[] pending = new long[64];
    private int pendingCount;
    private final Set<Long> seen = new HashSet<>();
    private final Set<Long> parents = new HashSet<>();
    private final long[] chainTasks = new long[MAX_AWAITERS];
    private long currentTasks;
    private int samplesSinceLookup = LOOKUP_EVERY;
    private int samplesSinceScan = RESCAN_EVERY;
    /** Where a chain of awaiting tasks was cut because a task on it could not be read. */
    private final CodeInfo unreadAwaiter;
    private long cutChains;

    /** What is known of one task: its coroutine and name objects (re-checked when read) and its root frame. */
    private static final class Task {
        long coro;
        long name;
        String label;
        CodeInfo root;
        /** The root shown while more than one task awaits it, and for how many. */
        CodeInfo sharedRoot;
        int sharedBy;
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
        this.types = new TaskTypes(reads, objects, layout);
        this.finder = new AsyncioTaskFinder(o, reads, objects, interpreter, types::isTask);
        this.chain = new CoroutineChain(o, reads, process.memory(), layout, codes, types);
        this.awaiters = new TaskAwaiters(o, reads, objects, types);
        this.unreadAwaiter = codes.marker("<awaiting task unreadable>");
    }

    /** For {@code process}; fails naming the versions that work when its version has no asyncio layout. */
    public static AsyncStacks of(PythonProcess process) throws PyspyException {
        return new AsyncStacks(process, false);
    }

    /**
     * {@code allTasks} ({@code --async-mode all}): also gives, per sample, the stack of every task
     * suspended in an await that no other task awaits ({@link #suspendedTasks()}), for a wall-clock
     * view of where tasks wait; the tasks awaiting it are in its stack.
     */
    public static AsyncStacks of(PythonProcess process, boolean allTasks) throws PyspyException {
        return new AsyncStacks(process, allTasks);
    }

    /**
     * Stacks given with their chain of awaiting tasks cut short (at {@code <awaiting task unreadable>}),
     * and suspended tasks left out, because a task or coroutine on the way could not be read: the
     * threads of a paused target can be mid-update of a task's links (a future being freed, a list
     * being grown). The frames a thread's walk found are never dropped for that.
     */
    public long cutChains() {
        return cutChains;
    }

    /** With all tasks: the suspended tasks' stacks of the last {@link #rewrite}, each rooted at its task. */
    public RawStacks suspendedTasks() {
        return suspended;
    }

    /** Re-roots every stack of {@code snapshot} that runs a task at that task, above the tasks awaiting it. */
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
        samplesSinceScan++;
        if (allTasks || samplesSinceScan >= RESCAN_EVERY || runningCount > 0 && samplesSinceScan >= RESCAN_NEW_EVERY
                && !allSeen()) {
            scan(snapshot);
        }
        for (int r = 0; r < runningCount; r++) {
            reroot(snapshot, running[r]);
        }
        if (allTasks) {
            readSuspended();
        }
    }

    private boolean allSeen() {
        for (int r = 0; r < runningCount; r++) {
            if (!seen.contains(running[r])) {
                return false;
            }
        }
        return true;
    }

    /**
     * Finds every pending task and learns who awaits whom. What cannot be read is left out of this
     * look (a task set caught mid-resize keeps the last look; a task or what it waits on caught
     * mid-update is taken as awaiting nothing): who awaits whom only adds to the stacks.
     */
    private void scan(RawStacks snapshot) {
        samplesSinceScan = 0;
        Set<Long> found;
        try {
            found = finder.find(snapshot);
        } catch (MemoryReadException e) {
            return;
        }
        awaiters.clear();
        seen.clear();
        pendingCount = 0;
        for (long address : found) {
            ByteBuffer b;
            try {
                b = reads.read(address, o.taskSize);
            } catch (MemoryReadException e) {
                continue;
            }
            if (b.getInt(o.futState) != o.statePending) {
                continue;
            }
            seen.add(address);
            if (pendingCount == pending.length) {
                pending = java.util.Arrays.copyOf(pending, pendingCount * 2);
            }
            pending[pendingCount++] = address;
            try {
                awaiters.add(address, b.getLong(o.taskFutWaiter), b.getLong(o.futCallback0));
            } catch (MemoryReadException e) {
                // what this task awaits is unknown until the next look
            }
        }
    }

    /** Each pending task not running now and awaited by none: its chain under its root, above its awaiters'. */
    private void readSuspended() throws MemoryReadException {
        suspended.reset();
        runningNow.clear();
        parents.clear();
        for (int r = 0; r < runningCount; r++) {
            runningNow.add(running[r]);
        }
        for (int i = 0; i < pendingCount; i++) {
            for (long p : awaiters.parentsOf(pending[i])) {
                parents.add(p);
            }
        }
        for (int i = 0; i < pendingCount; i++) {
            long address = pending[i];
            if (runningNow.contains(address) || parents.contains(address)) {
                continue;
            }
            RawThreadStack t = suspended.next();
            try {
                Task task = task(address);
                if (task == null || chain.pushChain(task.coro, t) == 0) {
                    suspended.dropLast(); // done, not started yet, or running on a thread this walk did not see
                    continue;
                }
                pushAwaiters(t, address, task);
            } catch (MemoryReadException e) {
                suspended.dropLast(); // caught mid-update: this pass has no consistent stack of it
                cutChains++;
            }
        }
    }

    /** The task at {@code address} as read now (its cached root re-checked), or null when it is not pending. */
    private Task task(long address) throws MemoryReadException {
        ByteBuffer b = reads.read(address, o.taskSize);
        if (b.getInt(o.futState) != o.statePending) {
            return null;
        }
        long coro = b.getLong(o.taskCoro);
        long name = b.getLong(o.taskName);
        if (coro == 0) {
            return null;
        }
        Task task = tasks.get(address);
        if (task == null || task.coro != coro || task.name != name) {
            if (tasks.size() > 1 << 16) {
                tasks.clear();
            }
            task = new Task();
            task.coro = coro;
            task.name = name;
            task.label = nameOf(name);
            task.root = codes.marker("<task " + task.label + ">");
            tasks.put(address, task);
        }
        return task;
    }

    /**
     * Puts below the frames of {@code task} (already in {@code t}) its root, then the chain of tasks
     * awaiting it: each one's suspended coroutines under its root. Where several tasks await one, the
     * lowest address is followed (as 3.15's sampler picks the least id) and the root says how many.
     * An awaiting task that cannot be read ends the chain at {@code <awaiting task unreadable>}.
     * Returns a hash of what it pushed, for the stack's version.
     */
    private long pushAwaiters(RawThreadStack t, long address, Task task) {
        long hash = 0;
        int depth = 0;
        long current = address;
        Task currentTask = task;
        while (currentTask != null) {
            chainTasks[depth++] = current;
            long[] by = awaiters.parentsOf(current);
            CodeInfo root = by.length > 1 ? sharedRoot(currentTask, by.length) : currentTask.root;
            t.push(root, 0, 0, true);
            hash = hash * 0x9E3779B97F4A7C15L + root.id() + 1;
            if (by.length == 0 || depth == MAX_AWAITERS) {
                break;
            }
            long next = by[0];
            for (long p : by) {
                next = Math.min(next, p);
            }
            if (onChain(next, depth)) {
                break;
            }
            current = next;
            int from = t.depth;
            try {
                currentTask = task(current);
                if (currentTask != null) {
                    chain.pushChain(currentTask.coro, t);
                }
            } catch (MemoryReadException e) {
                t.rootAt(from); // its coroutines pushed so far, if any, are not all of them
                t.push(unreadAwaiter, 0, 0, true);
                cutChains++;
                return hash * 0x9E3779B97F4A7C15L + unreadAwaiter.id() + 1;
            }
            for (int f = from; f < t.depth; f++) {
                hash = hash * 0x9E3779B97F4A7C15L + t.codes[f].id() * 31L + t.lines[f];
            }
        }
        return hash;
    }

    private boolean onChain(long address, int depth) {
        for (int i = 0; i < depth; i++) {
            if (chainTasks[i] == address) {
                return true;
            }
        }
        return false;
    }

    private CodeInfo sharedRoot(Task task, int count) {
        if (task.sharedBy != count) {
            task.sharedRoot = codes.marker("<task " + task.label + " (" + count + " parents)>");
            task.sharedBy = count;
        }
        return task.sharedRoot;
    }

    private void reroot(RawStacks snapshot, long taskAddress) throws MemoryReadException {
        ByteBuffer b = reads.read(taskAddress, o.taskSize);
        long coro = b.getLong(o.taskCoro);
        if (coro == 0) {
            return;
        }
        long frame = o.genFrame != AsyncioOffsets.ABSENT ? reads.readLong(coro + o.genFrame) : coro + o.genInterpreterFrame;
        if (frame == 0) {
            return;
        }
        for (int i = 0; i < snapshot.threadCount(); i++) {
            RawThreadStack t = snapshot.thread(i);
            for (int f = 0; f < t.depth && f < RawThreadStack.KEPT_INNER; f++) {
                if (t.frameAddresses[f] == frame) {
                    Task task = task(taskAddress);
                    if (task == null) {
                        return;
                    }
                    t.rootAt(f + 1);
                    long hash = pushAwaiters(t, taskAddress, task);
                    if (t.stackVersion != 0) {
                        t.stackVersion = t.stackVersion * 0x9E3779B97F4A7C15L + hash + 1;
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
