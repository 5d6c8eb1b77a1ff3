package dev.pyspy.python;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;

import dev.pyspy.util.LongIntMap;

import java.nio.ByteBuffer;

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
    private final AddressMap<Task> tasks = new AddressMap<>();
    private final boolean allTasks;
    private final TaskTypes types;
    private final TaskScan scan;
    private final CoroutineChain chain;
    private final CoroutineChains chains;
    private final TaskAwaiters awaiters;
    private final RawStacks suspended = new RawStacks();
    /** The pending tasks of the last scan: index by address; per index its task and (with all tasks) its chain. */
    private final LongIntMap pendingIndex = new LongIntMap(64);
    private Task[] pendingTasks = new Task[0];
    private long[] pendingCoros = new long[0];
    private RawThreadStack[] pendingChains = new RawThreadStack[0];
    /** Whether {@link #pendingChains} were read in this pass. */
    private boolean chainsRead;
    private final LongIntMap runningNow = new LongIntMap(16);
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
        this.scan = new TaskScan(o, reads, process.memory(), objects, interpreter, types);
        this.chain = new CoroutineChain(o, reads, process.memory(), layout, codes, types);
        this.chains = new CoroutineChains(o, process.memory(), layout, codes, types);
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
     * and suspended tasks left out, because a task or coroutine on the way could not be read. The
     * frames a thread's walk found are never dropped for that.
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
        chainsRead = false;
        if (allTasks || samplesSinceScan >= RESCAN_EVERY || runningCount > 0 && samplesSinceScan >= RESCAN_NEW_EVERY
                && !allSeen()) {
            scan(snapshot);
        }
        runningNow.clear();
        for (int r = 0; r < runningCount; r++) {
            runningNow.put(running[r], r);
        }
        if (allTasks) {
            readChains();
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
            if (pendingIndex.get(running[r], -1) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Finds every pending task and learns who awaits whom. What cannot be read is left out of this
     * look (a task set caught mid-resize gives no tasks; a task or what it waits on caught mid-update
     * is taken as awaiting nothing): who awaits whom only adds to the stacks.
     */
    private void scan(RawStacks snapshot) {
        samplesSinceScan = 0;
        awaiters.clear();
        pendingIndex.clear();
        scan.scan(snapshot);
        int n = scan.count();
        ensure(n);
        for (int i = 0; i < n; i++) {
            long address = scan.task(i);
            ByteBuffer b = scan.struct(i);
            pendingIndex.put(address, i);
            try {
                pendingTasks[i] = task(address, b);
            } catch (MemoryReadException e) {
                pendingTasks[i] = null; // its name could not be read: left out of this look
                continue;
            }
            try {
                awaiters.addKnown(address, b.getLong(o.taskCoro), b.getLong(o.taskFutWaiter), b.getLong(o.futCallback0));
            } catch (MemoryReadException e) {
                // what this task awaits is unknown until the next look
            }
        }
        awaiters.forgetGone(n);
    }

    /** The chain of every pending task, read together; one that cannot be read is left empty and marked cut. */
    private void readChains() {
        int n = scan.count();
        for (int i = 0; i < n; i++) {
            pendingChains[i].clear();
            pendingCoros[i] = pendingTasks[i] == null ? 0 : pendingTasks[i].coro;
        }
        chains.pushChains(pendingCoros, pendingChains, n);
        chainsRead = true;
    }

    /** Each pending task not running now and awaited by none: its chain under its root, above its awaiters'. */
    private void readSuspended() {
        suspended.reset();
        int n = scan.count();
        for (int i = 0; i < n; i++) {
            long address = scan.task(i);
            Task task = pendingTasks[i];
            RawThreadStack chainOf = pendingChains[i];
            if (task == null || runningNow.get(address, -1) >= 0 || awaiters.awaitsATask(address)) {
                continue; // running (on a thread: its stack shows it), or in its awaiters' stacks
            }
            if (chainOf.truncated) {
                cutChains++; // caught mid-update: this pass has no consistent stack of it
                continue;
            }
            if (chainOf.depth == 0) {
                continue; // not started yet
            }
            RawThreadStack t = suspended.next();
            copy(chainOf, t);
            pushAwaiters(t, address, task);
        }
    }

    private static void copy(RawThreadStack from, RawThreadStack to) {
        for (int f = 0; f < from.depth; f++) {
            to.push(from.codes[f], from.lines[f], from.frameAddresses[f], false);
        }
    }

    private void ensure(int n) {
        if (pendingTasks.length < n) {
            int old = pendingTasks.length;
            int size = Math.max(n, old * 2);
            pendingTasks = java.util.Arrays.copyOf(pendingTasks, size);
            pendingCoros = java.util.Arrays.copyOf(pendingCoros, size);
            pendingChains = java.util.Arrays.copyOf(pendingChains, size);
            for (int i = old; i < size; i++) {
                pendingChains[i] = new RawThreadStack();
            }
        }
    }

    /** The task at {@code address} as read now (its cached root re-checked), or null when it is not pending. */
    private Task task(long address) throws MemoryReadException {
        ByteBuffer b = reads.read(address, o.taskSize);
        return b.getInt(o.futState) != o.statePending ? null : task(address, b);
    }

    /** The task whose struct is {@code b} (its cached root re-checked), or null when it has no coroutine. */
    private Task task(long address, ByteBuffer b) throws MemoryReadException {
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
     * Returns a hash of what it pushed, for the stack's version.
     */
    private long pushAwaiters(RawThreadStack t, long address, Task task) {
        long hash = 0;
        int depth = 0;
        long current = address;
        Task currentTask = task;
        while (currentTask != null) {
            chainTasks[depth++] = current;
            int awaitedBy = awaiters.parentCount(current);
            CodeInfo root = awaitedBy > 1 ? sharedRoot(currentTask, awaitedBy) : currentTask.root;
            t.push(root, 0, 0, true);
            hash = hash * 0x9E3779B97F4A7C15L + root.id() + 1;
            if (awaitedBy == 0 || depth == MAX_AWAITERS) {
                break;
            }
            long next = awaiters.leastParent(current);
            if (onChain(next, depth)) {
                break;
            }
            current = next;
            int known = chainsRead ? pendingIndex.get(current, -1) : -1;
            int from = t.depth;
            boolean unread = known >= 0 && pendingChains[known].truncated;
            if (!unread) {
                try {
                    currentTask = known >= 0 ? pendingTasks[known] : task(current);
                    if (currentTask != null) {
                        if (known >= 0) {
                            copy(pendingChains[known], t);
                        } else {
                            chain.pushChain(currentTask.coro, t);
                        }
                    }
                } catch (MemoryReadException e) {
                    unread = true;
                }
            }
            if (unread) {
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
        Task task = b.getInt(o.futState) != o.statePending ? null : task(taskAddress, b); // before b is reused
        if (task == null) {
            return;
        }
        long frame = o.genFrame != AsyncioOffsets.ABSENT ? reads.readLong(task.coro + o.genFrame)
                : task.coro + o.genInterpreterFrame;
        if (frame == 0) {
            return;
        }
        for (int i = 0; i < snapshot.threadCount(); i++) {
            RawThreadStack t = snapshot.thread(i);
            for (int f = 0; f < t.depth && f < RawThreadStack.KEPT_INNER; f++) {
                if (t.frameAddresses[f] == frame) {
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
