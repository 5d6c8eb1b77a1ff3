package dev.pyspy.sampler;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.util.Log;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * For {@code --subprocesses}: finds the processes of the tree (multiprocessing workers,
 * subprocesses, children of a shell or a supervisor) as they appear and attaches to the Python
 * ones, off the sampler thread so that parsing their binaries never delays a sample. A process that
 * is not Python is looked at again when it execs another program.
 */
final class ProcessWatcher implements Runnable {
    private static final Log log = Log.of(ProcessWatcher.class);
    /** A new child is found within one sampling interval, but the tree is not rescanned more often than this. */
    private static final long MIN_SCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
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
    /** Processes the sampler dropped (they exec'd): to be looked at afresh. */
    private final Queue<Integer> forgotten = new ConcurrentLinkedQueue<>();
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
        while (!stopped) {
            for (Integer pid; (pid = forgotten.poll()) != null; ) {
                attached.remove(pid);
                candidates.remove(pid);
            }
            List<Integer> members = tree.members();
            for (int pid : members) {
                if (!attached.containsKey(pid)) {
                    tryAttach(pid);
                }
            }
            attached.keySet().retainAll(members);
            candidates.keySet().retainAll(members);
            try {
                TimeUnit.NANOSECONDS.sleep(scanNanos);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A fork of an attached process is attached from its parent, cheaply: children of a fork storm live briefly. */
    private PythonProcess attach(int pid) throws PyspyException {
        PythonProcess parent = attached.get(tree.parent(pid));
        PythonProcess child = parent != null ? parent.forkedChild(pid) : null;
        return child != null ? child : PythonProcess.attach(pid);
    }

    private void tryAttach(int pid) {
        String exe;
        try {
            exe = ProcFs.exePath(pid);
        } catch (PyspyException e) {
            return; // exited, or a kernel thread
        }
        long now = System.nanoTime();
        Candidate c = candidates.get(pid);
        if (c == null || !Objects.equals(c.exe(), exe)) {
            c = new Candidate(exe, now);
            candidates.put(pid, c);
        } else if (now - c.since() > STARTUP_NANOS) {
            return; // not Python: waits for an exec
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
        } catch (PyspyException e) {
            if (e.exitCode() == ExitCode.UNSUPPORTED_VERSION || e.exitCode() == ExitCode.NO_SUCH_PROCESS
                    || e.exitCode() == ExitCode.PERMISSION_DENIED) {
                log.debug("not following process {}: {}", pid, e.getMessage());
                candidates.put(pid, new Candidate(exe, now - STARTUP_NANOS - 1));
            }
        }
    }
}
