package dev.pyspy.sampler;

import dev.pyspy.PyspyException;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.python.AsyncStacks;
import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.ExceptionStates;
import dev.pyspy.python.GcState;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.python.RawStacks;
import dev.pyspy.python.StableThreads;
import dev.pyspy.python.ThreadActivity;
import dev.pyspy.python.opcodes.InstructionFrames;
import dev.pyspy.python.ThreadStackReader;
import dev.pyspy.python.RawThreadStack;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One process being sampled: its interpreter, the ptrace session that pauses it (blocking mode),
 * its threads' kernel states, and what is remembered about its threads between samples.
 * Used only from the sampler thread (ptrace requires one tracer thread).
 */
public final class SampledProcess implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SampledProcess.class);
    /** Thread names and tids are re-read at least this often even if no thread came or went. */
    private static final long THREAD_REFRESH_NANOS = 2_000_000_000L;

    /** Blocking mode warms up (see warmUp) at 2 000 samples a second and slower. */
    private static final long WARM_UP_FROM_INTERVAL_NANOS = 500_000;

    private final int index;
    private final PythonProcess python;
    private ThreadPauser pauser;
    /** Held stopped by whoever launched it (see {@link #held}): not paused, and its threads' states say 't'. */
    private boolean held;
    /** Enough walks for C1 to compile the walk's methods (its thresholds are a few hundred calls). */
    private static final int WARM_UP_WALKS = 1_000;
    /**
     * Nonblocking mode: how often the code objects a walk uses are checked against their headers
     * (every walk up to 10 000 samples a second; CodeCache): a check of a handful of scattered headers
     * costs a shallow walk half again its own time.
     */
    private static final long NONBLOCKING_CODE_CHECK_NANOS = 100_000;
    /**
     * The walks may take this much of the sampler thread's CPU time: a budget in wall time would
     * buy next to nothing on a loaded machine, where the thread gets a small share of a CPU.
     */
    private static final long WARM_UP_WHILE_HELD_CPU_NANOS = 100_000_000;
    /** However starved the sampler is, the program is not held longer than this for the warm-up. */
    private static final long WARM_UP_WHILE_HELD_MAX_NANOS = 2_000_000_000L;
    private final KernelThreadStates states;
    private final RawStacks snapshot = new RawStacks();
    private final Map<Long, TrackedThread> threads = new HashMap<>();
    private final String label;
    private List<String> ancestorLabels = List.of();
    private TrackedThread[] slots = new TrackedThread[16];
    private long threadSetSignature = -1;
    /** The collector's flag (null where no thread can be named as collecting), looked up on first use. */
    private GcState gc;
    private boolean gcLookedUp;
    private CodeInfo gcMarker;
    /** Made on the first sample of {@code --mode exception}. */
    private ExceptionStates exceptions;
    /** {@code --opcodes}: relabels each walk's frames by instruction; made on the first sample. */
    private InstructionFrames instructions;
    private long lastRefresh;
    /** THREAD_REFRESH_NANOS, or longer when a refresh is slow (thousands of threads): at most 1/20 of the time. */
    private long refreshEveryNanos = THREAD_REFRESH_NANOS;
    private int failedInARow;
    private final AsyncStacks asyncStacks;
    /** {@code --native}: the native side, or null. */
    private NativeSampling natives;
    /** The threads the pause left asleep unread: their last decode stands (made once: no allocation a walk). */
    private final StableThreads asleep = this::asleepSinceLastPause;
    /** Before the pause, the threads the last pause left asleep unread: the warm-up need not read them. */
    private final StableThreads asleepLastTime = (index, t) -> {
        int tid = osThreadId(index, t);
        return tid > 0 && pauser.leftAsleepInLastPause(tid);
    };

    /** {@code asyncStacks}: re-roots threads running an asyncio task ({@code --async-aware}), or null. */
    SampledProcess(int index, PythonProcess python, ThreadPauser pauser, AsyncStacks asyncStacks) {
        this.asyncStacks = asyncStacks;
        this.index = index;
        this.python = python;
        this.pauser = pauser;
        this.states = new KernelThreadStates(python.pid());
        states.refreshTasks(); // so that the first sample knows its threads' states too
        this.label = label(python.pid(), python.cmdline());
    }

    /** py-spy's root frame for a process: {@code process PID:"cmdline"}. */
    static String label(int pid, List<String> cmdline) {
        return "process " + pid + ":\"" + String.join(" ", cmdline) + "\"";
    }

    /**
     * A process held stopped by another thread until {@link #released}: sampled as it stands, and
     * each of its threads counts as about to run (a held thread's kernel state is 't').
     */
    static SampledProcess held(int index, PythonProcess python, AsyncStacks asyncStacks) {
        SampledProcess p = new SampledProcess(index, python, null, asyncStacks);
        p.held = true;
        return p;
    }

    /** The process runs now; {@code pauser} (null in nonblocking mode) pauses it for each next sample. */
    void released(ThreadPauser pauser) {
        this.pauser = pauser;
        held = false;
    }

    public int pid() {
        return python.pid();
    }

    /** Samples native frames too ({@code --native}); only with a pauser (blocking mode). */
    void sampleNativeFrames() throws PyspyException {
        natives = new NativeSampling(python);
    }

    public int index() {
        return index;
    }

    public PythonProcess python() {
        return python;
    }

    /**
     * Between samples far apart, the sampler's caches go cold and the first walk after a sleep is
     * several times slower than the next: walking once while the target still runs makes the walk
     * under pause the fast one (and lets it reuse the stacks that did not change in between). The
     * target pays for the walk under pause only; pyspy does the work twice.
     */
    private void warmUp(RecordOptions options) {
        if (options.intervalNanos() < WARM_UP_FROM_INTERVAL_NANOS) {
            return; // sampling often keeps the caches warm
        }
        try {
            python.walker().walk(snapshot, asleepLastTime);
        } catch (MemoryReadException e) {
            // the walk under pause decides what a failure means
        }
    }

    /**
     * Walks the held program over and over before its first sample, so that the JIT has compiled
     * the walk before the program's first line runs (a cold walk is several times slower; the
     * program, stopped, loses nothing meanwhile).
     */
    private void warmUpWhileHeld() {
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long started = System.nanoTime();
        long cpuStarted = cpu.getCurrentThreadCpuTime();
        int walks = 0;
        try {
            while (walks < WARM_UP_WALKS && cpu.getCurrentThreadCpuTime() - cpuStarted < WARM_UP_WHILE_HELD_CPU_NANOS
                    && System.nanoTime() - started < WARM_UP_WHILE_HELD_MAX_NANOS) {
                python.walker().walk(snapshot);
                states.read();
                walks++;
            }
        } catch (MemoryReadException e) {
            // the first sample decides what a failure means
        }
        log.debug("process {} held: {} warm-up walks in {} ms ({} ms of CPU)", python.pid(), walks,
                (System.nanoTime() - started) / 1_000_000, (cpu.getCurrentThreadCpuTime() - cpuStarted) / 1_000_000);
    }

    /** The {@code process PID:"cmdline"} root frame label. */
    public String label() {
        return label;
    }

    /**
     * The labels of the processes above this one in the sampled tree (with {@code --subprocesses}),
     * its root first: a child's stacks hang under its parents' frames, as py-spy's do.
     */
    public List<String> ancestorLabels() {
        return ancestorLabels;
    }

    void placeUnder(List<String> ancestorLabels) {
        this.ancestorLabels = List.copyOf(ancestorLabels);
    }

    /** Takes one sample and hands each kept thread to {@code consumer}. */
    void sample(long nanos, RecordOptions options, SampleConsumer consumer, Sampler.PauseListener pauseListener,
                SamplerStats stats) throws MemoryReadException {
        if (options.mode().readsKernelStates(options.idle())) {
            // one pread per thread: only worth it when the kernel's word decides (not for a thread
            // whose stack decides, as it did last time: in a waiting call)
            states.read(options.mode() == SampleMode.ACTIVE);
        }
        if (options.mode() == SampleMode.EXCEPTION) {
            exceptionStates(); // before the walk, which then reads the thread states' exception fields
        }
        long pausedAt = 0;
        boolean collecting;
        if (pauser != null) {
            warmUp(options);
            pausedAt = System.nanoTime();
            pauser.interrupt();
        }
        if (held) {
            warmUpWhileHeld();
        }
        try {
            pauseListener.paused(stats.samples);
            failedInARow++;
            // a running target's reads race it anyway: its code objects are checked every so often
            python.codes().checkEvery(pauser == null && !held ? NONBLOCKING_CODE_CHECK_NANOS : 0);
            readStacks();
            while (pauser != null && !pauser.confirmParked()) {
                readStacks(); // a thread left running woke during the reads: it is stopped now
            }
            if (natives != null && pauser != null) {
                syncThreads(snapshot.threadCount()); // the tids, before the threads run again
                natives.unwind(snapshot, slots);
            }
            if (options.mode() == SampleMode.EXCEPTION) {
                exceptionStates().read(snapshot); // while paused: the same instant as the stacks
            }
            collecting = options.gcFrames() && collecting();
            if (options.opcodes()) {
                instructionFrames().label(snapshot); // while paused: 3.11+ rewrites its bytecode as it runs
            }
            failedInARow = 0;
        } finally {
            if (pauser != null) {
                pauser.resume();
                stats.pausedNanos += System.nanoTime() - pausedAt;
            }
        }
        try {
            hand(nanos, options, consumer, collecting, stats);
        } finally {
            if (instructions != null) {
                instructions.restore(snapshot); // the next walk reuses the stacks as it decoded them
            }
        }
    }

    /** Hands each thread of the walk that {@code options} keep to {@code consumer}. */
    private void hand(long nanos, RecordOptions options, SampleConsumer consumer, boolean collecting,
                      SamplerStats stats) throws MemoryReadException {
        int n = snapshot.threadCount();
        if (natives == null || pauser == null) {
            syncThreads(n);
        }
        boolean gilApplies = python.gil().applies();
        long kept = 0;
        long gil = 0;
        long active = 0;
        for (int i = 0; i < n; i++) {
            RawThreadStack t = snapshot.thread(i);
            TrackedThread thread = slots[i];
            char kernelState = held ? 0 : states.state(thread.osThreadId);
            boolean isActive = ThreadActivity.isActive(kernelState, t);
            if (thread.osThreadId != 0) {
                states.noteStack(thread.osThreadId, !ThreadActivity.isActive((char) 0, t));
            }
            // --gil keeps only the GIL holder where there is a GIL to hold (not in free-threaded builds)
            CodeInfo exception = exceptions != null ? exceptions.leaf(i) : null;
            if (!options.mode().keeps(kernelState, isActive, t, options.idle(), options.gilOnly(), gilApplies, exception)) {
                continue;
            }
            // like py-spy, GIL and activity are counted over the kept samples only
            kept++;
            gil += t.ownsGil ? 1 : 0;
            active += isActive ? 1 : 0;
            RawThreadStack shown = natives == null || pauser == null ? t : natives.merged(snapshot, i);
            if (exception != null) {
                shown.addLeaf(exception);
            }
            if (collecting && t.ownsGil) {
                shown.addLeaf(gcMarker); // a collection runs in the thread holding the GIL
            }
            try {
                consumer.accept(nanos, this, named(thread), shown);
            } finally {
                shown.removeLeaves();
            }
        }
        if (asyncStacks != null && options.asyncAllTasks() && n > 0) {
            // suspended tasks run on no thread: counted under the interpreter's first (oldest) thread
            RawStacks tasks = asyncStacks.suspendedTasks();
            for (int i = 0; i < tasks.threadCount(); i++) {
                kept++;
                consumer.accept(nanos, this, named(slots[n - 1]), tasks.thread(i));
            }
        }
        stats.keptThreadSamples += kept;
        stats.gilSamples += gil;
        stats.activeSamples += active;
    }

    /**
     * The walk, and the running tasks as its stacks show them: both before the check that the threads
     * left running (blocked in the kernel) stayed off the CPU, since an event loop woken from its
     * poll changes the tasks as much as its stack.
     */
    private void readStacks() throws MemoryReadException {
        python.walker().walk(snapshot, pauser != null ? asleep : StableThreads.NONE);
        if (asyncStacks != null) {
            asyncStacks.rewrite(snapshot);
        }
    }

    /**
     * Whether the thread at {@code index} of this walk, as the last one mapped it to its kernel tid,
     * was left asleep by this pause, not switched in since the last one (the pauser confirms it after
     * the walk, or stops it and the walk is done again).
     */
    private boolean asleepSinceLastPause(int index, RawThreadStack t) {
        int tid = osThreadId(index, t);
        return tid > 0 && pauser.asleepSinceLastPause(tid);
    }

    /** The kernel tid of the walk's thread {@code t} at {@code index}, as the last walk mapped it; 0 when unknown. */
    private int osThreadId(int index, RawThreadStack t) {
        TrackedThread thread = index < slots.length ? slots[index] : null;
        return thread != null && thread.threadId == t.threadId && thread.osThreadId <= Integer.MAX_VALUE
                ? (int) thread.osThreadId : 0;
    }

    /** Whether the collector runs now; read only when some thread holds the GIL (none can collect otherwise). */
    private boolean collecting() throws MemoryReadException {
        if (!gcLookedUp) {
            gcLookedUp = true;
            gc = GcState.of(python);
            gcMarker = python.codes().marker("<GC>");
        }
        if (gc == null) {
            return false;
        }
        for (int i = 0; i < snapshot.threadCount(); i++) {
            if (snapshot.thread(i).ownsGil) {
                return gc.collecting();
            }
        }
        return false;
    }

    private InstructionFrames instructionFrames() throws MemoryReadException {
        if (instructions == null) {
            try {
                instructions = InstructionFrames.of(python.version().majorMinor(), python.memory(), python.layout(),
                        python.objects(), python.codes());
            } catch (dev.pyspy.PyspyException e) {
                throw new MemoryReadException(e.getMessage());
            }
        }
        return instructions;
    }

    private ExceptionStates exceptionStates() throws MemoryReadException {
        if (exceptions == null) {
            try {
                exceptions = ExceptionStates.forLayout(python.memory(), python.walker(), python.layout(),
                        python.objects(), python.codes());
            } catch (dev.pyspy.PyspyException e) {
                throw new MemoryReadException(e.getMessage());
            }
            if (exceptions == null) {
                throw new MemoryReadException("this Python's layout does not say where threads keep their exceptions");
            }
        }
        return exceptions;
    }

    /** Maps this walk's threads to remembered ones; re-reads names and tids when the set changed. */
    private void syncThreads(int n) throws MemoryReadException {
        long signature = n;
        for (int i = 0; i < n; i++) {
            signature = signature * 0x9E3779B97F4A7C15L + snapshot.thread(i).threadId;
        }
        long now = System.nanoTime();
        boolean changed = signature != threadSetSignature || now - lastRefresh > refreshEveryNanos;
        if (slots.length < n) {
            slots = new TrackedThread[Math.max(n, slots.length * 2)];
        }
        for (int i = 0; i < n; i++) {
            RawThreadStack t = snapshot.thread(i);
            // threads usually come in the same order as last time: skip the (boxing) map lookup then
            TrackedThread thread = slots[i] != null && slots[i].threadId == t.threadId ? slots[i] : threads.get(t.threadId);
            if (thread == null) {
                thread = new TrackedThread(t.threadId);
                threads.put(t.threadId, thread);
                changed = true;
            }
            slots[i] = thread;
        }
        if (!changed) {
            return;
        }
        threadSetSignature = signature;
        lastRefresh = now;
        states.refreshTasks();
        python.threadNames().refreshObjects(); // names are read for the threads kept (named)
        java.util.Set<Long> tids = new java.util.HashSet<>();
        try {
            for (int tid : ProcFs.threadIds(python.pid())) {
                tids.add((long) tid);
            }
        } catch (dev.pyspy.PyspyException e) {
            // the process is exiting: tids stay unknown
        }
        long[] nativeIds = ThreadStackReader.nativeIds(python, snapshot, tids);
        Map<Long, TrackedThread> alive = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TrackedThread thread = slots[i];
            thread.named = false;
            if (nativeIds[i] != 0) {
                thread.osThreadId = nativeIds[i];
            }
            alive.put(thread.threadId, thread);
        }
        threads.keySet().retainAll(alive.keySet());
        // slots past n hold threads just forgotten: a new thread reusing one's id must not match them
        java.util.Arrays.fill(slots, n, slots.length, null);
        refreshEveryNanos = Math.max(THREAD_REFRESH_NANOS, 20 * (System.nanoTime() - now));
    }

    /** {@code thread}, its name read if not yet since the thread list was (thousands idle are never kept). */
    private TrackedThread named(TrackedThread thread) throws MemoryReadException {
        if (!thread.named) {
            thread.name = python.threadNames().nameOf(thread.threadId);
            thread.named = true;
        }
        return thread;
    }

    /**
     * Between samples: lets go of a thread still seized that stopped (a late stop, a signal), so it
     * does not wait for the next sample. True while some thread is still seized: call again soon.
     */
    boolean pollEvents() {
        if (pauser == null || !pauser.holdsRunningThreads()) {
            return false;
        }
        pauser.pollEvents();
        return pauser.holdsRunningThreads();
    }

    /** Samples in a row whose walk failed, the one that just failed included. */
    int failedInARow() {
        return failedInARow;
    }

    public int threadCount() {
        return snapshot.threadCount();
    }

    /** True once the process has exited (or become a zombie). */
    boolean gone() {
        return (pauser != null && pauser.targetExited()) || PythonProcess.isGone(python.pid());
    }

    @Override
    public void close() {
        states.close();
        if (pauser != null) {
            pauser.detach();
        }
    }
}
