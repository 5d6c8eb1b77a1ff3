package dev.pyspy.sampler;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.TaskFileReader;
import dev.pyspy.util.LongIntMap;

import java.nio.ByteBuffer;

/**
 * The kernel's run state of each thread of one process, read every sample from
 * {@code /proc/PID/task/TID/stat}: one pread per thread for the first {@link #MAX_OPEN} threads,
 * whose files stay open (opening them per sample would triple the cost), an open, read and close for
 * the others, so the descriptors are bounded whatever the thread count ({@link TaskFileReader}).
 * Must be read before the process is paused: a paused thread shows 't'.
 *
 * <p>A thread whose last sampled stack stood in a well-known waiting call ({@link #noteStack}) is not
 * read when {@link #read(boolean)} may skip it: its state stays unknown (0), and its stack decides
 * whether it is active ({@code ThreadActivity}), as it decides for a running thread anyway. Servers
 * keep most of their threads waiting so: one read a sample each would cost more than the walk.
 */
final class KernelThreadStates implements AutoCloseable {
    /** Threads whose stat file stays open. */
    static final int MAX_OPEN = 1024;

    private final int pid;
    private final TaskFileReader stat;
    private final LongIntMap states = new LongIntMap(64);
    /** 1 for a thread whose last sampled stack stood in a waiting call (see {@link #noteStack}). */
    private final LongIntMap waiting = new LongIntMap(64);
    private int[] tids = new int[0];
    private int count;
    private long generation;

    KernelThreadStates(int pid) {
        this.pid = pid;
        this.stat = new TaskFileReader(pid, "stat", MAX_OPEN);
    }

    /** Re-lists the process's threads: call when the set of Python threads changed. */
    void refreshTasks() {
        int[] now;
        try {
            now = ProcFs.threadIds(pid); // ascending
        } catch (PyspyException e) {
            now = new int[0]; // the process is gone: every state becomes unknown
        }
        // threads gone since: their descriptors are closed
        for (int i = 0, j = 0; i < count; i++) {
            while (j < now.length && now[j] < tids[i]) {
                j++;
            }
            if (j >= now.length || now[j] != tids[i]) {
                stat.forget(tids[i]);
            }
        }
        tids = now;
        count = now.length;
    }

    /** Reads every known thread's state now. */
    void read() {
        read(false);
    }

    /**
     * Reads the known threads' states now; with {@code skipWaiting}, not those of the threads whose
     * last sampled stack was waiting ({@link #noteStack}): their state is then unknown.
     */
    void read(boolean skipWaiting) {
        generation++;
        int kept = 0;
        for (int i = 0; i < count; i++) {
            int tid = tids[i];
            if (skipWaiting && waiting.get(tid, 0) != 0) {
                tids[kept++] = tid;
                continue;
            }
            char state = readState(tid);
            if (state == 0) {
                stat.forget(tid); // gone
            } else {
                tids[kept++] = tid;
                states.put(tid, (int) ((generation << 8) | state));
            }
        }
        count = kept;
    }

    /** The state read by the last {@link #read()}, 0 when unknown. */
    char state(long tid) {
        int v = states.get(tid, 0);
        return (v >>> 8) == (int) (generation & 0xffffff) ? (char) (v & 0xff) : 0;
    }

    /** What the last sample saw thread {@code tid} do: whether its stack stood in a waiting call. */
    void noteStack(long tid, boolean waitingCall) {
        if (waitingCall || waiting.get(tid, 0) != 0) {
            waiting.put(tid, waitingCall ? 1 : 0);
        }
    }

    /** Descriptors held open now. */
    int openDescriptors() {
        return stat.openDescriptors();
    }

    private char readState(int tid) {
        int n = stat.read(tid);
        ByteBuffer buf = stat.buffer();
        // "pid (comm) S ...": comm may hold spaces and parentheses, so look for the last ')'
        for (int i = n - 1; i > 0; i--) {
            if (buf.get(i) == ')' && i + 2 < n) {
                return (char) buf.get(i + 2);
            }
        }
        return 0;
    }

    @Override
    public void close() {
        stat.close();
    }
}
