package dev.pyspy.sampler;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.LibC;
import dev.pyspy.process.ProcEvents;
import dev.pyspy.process.ProcFs;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.util.Log;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * For {@code --subprocesses}: finds the processes of the tree (multiprocessing workers,
 * subprocesses, children of a shell or a supervisor) as they appear and attaches to the Python
 * ones, off the sampler thread so that parsing their binaries never delays a sample. A process that
 * is not Python is looked at again when it execs another program.
 *
 * <p>Where the kernel reports process events ({@link ProcEvents}: root in the initial namespaces) a
 * child is found when it is forked, not at the next look, and the tree is rescanned now and then
 * (often while a process waits for its interpreter to start, and at once when events were lost);
 * elsewhere it is rescanned every half sampling interval. The scan stays the ground truth: a forked
 * child is taken only if its stat names the parent the event did.
 */
final class ProcessWatcher implements Runnable, ProcEvents.Listener {
    private static final Log log = Log.of(ProcessWatcher.class);
    /** A new child is found within one sampling interval, but the tree is not rescanned more often than this. */
    private static final long MIN_SCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** With process events, how often the tree is rescanned all the same (what no event says: reparenting). */
    private static final long RESCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /**
     * The watcher's nice value where it gets process events (root): on a busy machine a thread of
     * nice 0 woken by a fork waits for a CPU behind the storm's own children, often longer than a
     * child lives; it sleeps but for the few milliseconds each attach takes.
     */
    private static final int EVENTS_NICE = -5;
    /** Longest wait for an event: how soon a stop is noticed. */
    private static final int MAX_WAIT_MILLIS = 100;
    /**
     * How long a freshly started (or exec'd) interpreter may take to initialise before the process
     * is taken for one that is not Python, until it execs again.
     */
    private static final long STARTUP_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final ProcessTree tree;
    private final long scanNanos;
    private final Queue<PythonProcess> found = new ConcurrentLinkedQueue<>();
    /** The processes attached so far, by pid. */
    private final Map<Integer, PythonProcess> attached = new HashMap<>();
    /** Processes not (yet) Python: the program they ran when first tried, and since when. */
    private final Map<Integer, Candidate> candidates = new HashMap<>();
    /** The tree as of the last scan, with the children forked since and without the processes exited since. */
    private final Set<Integer> members = new HashSet<>();
    /** Processes the sampler dropped (they exec'd): to be looked at afresh. */
    private final Queue<Integer> forgotten = new ConcurrentLinkedQueue<>();
    /** When the tree is to be rescanned next ({@link System#nanoTime}). */
    private long nextScan;
    private volatile boolean stopped;
    /** Woken when a process is found (the thread that starts sampling it). */
    private volatile Thread notify;

    private record Candidate(String exe, long since) {
    }

    ProcessWatcher(ProcessTree tree, List<PythonProcess> alreadyAttached, long intervalNanos) {
        this.tree = tree;
        this.scanNanos = Math.max(MIN_SCAN_NANOS, intervalNanos / 2);
        alreadyAttached.forEach(p -> attached.put(p.pid(), p));
    }

    Queue<PythonProcess> found() {
        return found;
    }

    /** {@code thread} is unparked each time a process is found. */
    void notifyOnFound(Thread thread) {
        notify = thread;
    }

    /** Called from the threads that sample. */
    void forget(int pid) {
        forgotten.add(pid);
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        // subscribed before the first scan: a child forked after it is either in the scan or in an event
        try (ProcEvents events = ProcEvents.open()) {
            if (events != null) {
                log.debug("following the tree of process {} through the kernel's process events", tree.root());
                if (!LibC.setThreadNice(EVENTS_NICE)) {
                    log.debug("the watcher keeps its priority (refused)");
                }
            } else {
                log.debug("no process events (not root, or another namespace): the tree of process {} is rescanned"
                        + " every {} ms", tree.root(), scanNanos / 1_000_000);
            }
            warmUp();
            boolean rescan = true;
            while (!stopped) {
                for (Integer pid; (pid = forgotten.poll()) != null; ) {
                    attached.remove(pid);
                    candidates.remove(pid);
                    rescan = true;
                }
                long now = System.nanoTime();
                if (rescan || now - nextScan >= 0) {
                    scan();
                    rescan = false;
                    nextScan = now + (events == null || waitingForAnInterpreter(now) ? scanNanos : RESCAN_NANOS);
                }
                long wait = Math.max(0, nextScan - System.nanoTime());
                if (events == null) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                } else {
                    int millis = (int) Math.min(MAX_WAIT_MILLIS, TimeUnit.NANOSECONDS.toMillis(wait));
                    if (!events.receive(millis, this)) {
                        log.debug("process events were lost: rescanning the tree");
                        rescan = true;
                    }
                }
            }
        }
    }

    private void scan() {
        List<Integer> now = tree.members();
        members.clear();
        members.addAll(now);
        for (int pid : now) {
            if (!attached.containsKey(pid)) {
                tryAttach(pid, 0);
            }
        }
        attached.keySet().retainAll(members);
        candidates.keySet().retainAll(members);
    }

    /** Whether a process of the tree may still be starting its interpreter: it is tried again at each scan. */
    private boolean waitingForAnInterpreter(long now) {
        for (Candidate c : candidates.values()) {
            if (now - c.since() <= STARTUP_NANOS) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void forked(int parent, int child, long atNanos) {
        if (!members.contains(parent) || members.contains(child)) {
            return;
        }
        if (tree.adopt(child, parent)) {
            members.add(child);
            tryAttach(child, atNanos);
        } else {
            goneBeforeAttached(child, atNanos);
        }
    }

    @Override
    public void execed(int pid) {
        if (members.contains(pid) && !attached.containsKey(pid)) {
            candidates.remove(pid); // a new program: its interpreter gets time to start
            tryAttach(pid, 0);
        }
    }

    @Override
    public void exited(int pid) {
        // its pid may come back as another process's; what was attached ends with its sampling thread
        members.remove(pid);
        candidates.remove(pid);
    }

    /** A fork of an attached process is attached from its parent, cheaply: children of a fork storm live briefly. */
    private PythonProcess attach(int pid) throws PyspyException {
        PythonProcess parent = attached.get(tree.parent(pid));
        PythonProcess child = parent != null ? parent.forkedChild(pid) : null;
        if (child == null && parent != null) {
            log.debug("process {} no longer maps its parent's interpreter as it was: attaching afresh", pid);
        }
        return child != null ? child : PythonProcess.attach(pid);
    }

    /**
     * A forked child that exited before this thread could attach to it: on a machine so busy that
     * the watcher waited for a CPU longer than the child lived. Said with {@code -v}.
     */
    private static void goneBeforeAttached(int pid, long forkedAtNanos) {
        if (forkedAtNanos != 0) {
            log.debug("process {} exited before it could be attached, {} ms after its fork", pid,
                    tenthsOfMillis(System.nanoTime() - forkedAtNanos));
        }
    }

    private static double tenthsOfMillis(long nanos) {
        return nanos / 100_000 / 10.0;
    }

    /**
     * Attaches to an attached process as though it were its own fork, and drops the result: the
     * code of {@link #attach} run once beforehand, the first child of a fork storm is attached in
     * a tenth of the CPU time (cold, it took longer than a short-lived child lives on a busy machine).
     */
    private void warmUp() {
        for (PythonProcess p : attached.values()) {
            try {
                p.forkedChild(p.pid());
            } catch (PyspyException e) {
                // it exited: the next one is warmed up by use
            }
            return;
        }
    }

    /** {@code forkedAtNanos}: when its fork was reported, else 0. */
    private void tryAttach(int pid, long forkedAtNanos) {
        String exe;
        try {
            exe = ProcFs.exePath(pid);
        } catch (PyspyException e) {
            goneBeforeAttached(pid, forkedAtNanos); // or a kernel thread
            return;
        }
        long now = System.nanoTime();
        Candidate c = candidates.get(pid);
        if (c == null || !Objects.equals(c.exe(), exe)) {
            c = new Candidate(exe, now);
            candidates.put(pid, c);
        } else if (now - c.since() > STARTUP_NANOS) {
            return; // not Python: waits for an exec
        }
        if (now - nextScan < -scanNanos) {
            nextScan = now + scanNanos; // tried again soon while its interpreter may be starting
        }
        try {
            PythonProcess p = attach(pid);
            found.add(p);
            Thread t = notify;
            if (t != null) {
                LockSupport.unpark(t);
            }
            attached.put(pid, p);
            candidates.remove(pid);
            if (forkedAtNanos != 0) {
                log.debug("attached to process {} {} ms after its fork (told {} ms after it)", pid,
                        tenthsOfMillis(System.nanoTime() - forkedAtNanos), tenthsOfMillis(now - forkedAtNanos));
            } else {
                log.debug("attached to process {}", pid);
            }
        } catch (PyspyException e) {
            if (e.exitCode() == ExitCode.UNSUPPORTED_VERSION || e.exitCode() == ExitCode.NO_SUCH_PROCESS
                    || e.exitCode() == ExitCode.PERMISSION_DENIED) {
                log.debug("not following process {}: {}", pid, e.getMessage());
                candidates.put(pid, new Candidate(exe, now - STARTUP_NANOS - 1));
                if (e.exitCode() == ExitCode.NO_SUCH_PROCESS) {
                    goneBeforeAttached(pid, forkedAtNanos);
                }
            } else {
                log.debug("not attached to process {} (yet): {}", pid, e.getMessage());
            }
        }
    }
}
