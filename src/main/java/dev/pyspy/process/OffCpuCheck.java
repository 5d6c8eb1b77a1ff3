package dev.pyspy.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Tells whether a thread is blocked in the kernel, off the CPU, and whether it has run since: a
 * thread that stays so while pyspy reads memory cannot change it, and need not be stopped.
 *
 * <p>{@code /proc/PID/task/TID/syscall} shows "running" unless the thread is blocked, and the kernel
 * only answers for a blocked thread once it is off the CPU (a thread that has just said it will sleep
 * may still be on it). {@code /proc/PID/task/TID/schedstat}'s third field counts the times the thread
 * was switched in: unchanged from before the first look to after the read, the thread did not run.
 * Both files stay open per thread and are read with one pread each. Where the kernel has neither
 * file, {@link #switchesIn} answers -1 and callers stop every thread as before.
 */
final class OffCpuCheck implements AutoCloseable {
    /** Two descriptors per thread: beyond this many threads, the others are simply stopped. */
    private static final int MAX_THREADS = 256;
    private static final byte[] RUNNING = "running".getBytes(StandardCharsets.US_ASCII);

    private record TaskFiles(FileChannel schedstat, FileChannel syscall) {
    }

    private final int pid;
    private final Map<Integer, TaskFiles> files = new HashMap<>();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(256);
    private boolean unsupported;

    OffCpuCheck(int pid) {
        this.pid = pid;
    }

    /** How many times the thread has been switched onto a CPU; -1 when it cannot tell. */
    long switchesIn(int tid) {
        TaskFiles f = open(tid);
        if (f == null || ProcFs.reread(f.schedstat, buf) <= 0) {
            return -1;
        }
        // "run_ns wait_ns timeslices\n"
        int field = 0;
        long value = 0;
        for (int i = 0; i < buf.limit(); i++) {
            byte c = buf.get(i);
            if (c == ' ') {
                field++;
            } else if (field == 2 && c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
            } else if (field == 2) {
                return value;
            }
        }
        return field == 2 ? value : -1;
    }

    /** True when the thread is blocked (in a system call or otherwise), and off the CPU. */
    boolean blocked(int tid) {
        TaskFiles f = open(tid);
        int n = f == null ? -1 : ProcFs.reread(f.syscall, buf);
        if (n <= 0) {
            return false;
        }
        for (int i = 0; i < RUNNING.length; i++) {
            if (i >= n || buf.get(i) != RUNNING[i]) {
                return true;
            }
        }
        return false;
    }

    /** Closes the files of a thread that is gone. */
    void forget(int tid) {
        TaskFiles f = files.remove(tid);
        if (f != null) {
            ProcFs.closeQuietly(f.schedstat);
            ProcFs.closeQuietly(f.syscall);
        }
    }

    private TaskFiles open(int tid) {
        TaskFiles f = files.get(tid);
        if (f != null || unsupported || files.size() >= MAX_THREADS) {
            return f;
        }
        Path task = ProcFs.procPath(pid, "task", Integer.toString(tid));
        FileChannel schedstat = null;
        try {
            schedstat = FileChannel.open(task.resolve("schedstat"), StandardOpenOption.READ);
            f = new TaskFiles(schedstat, FileChannel.open(task.resolve("syscall"), StandardOpenOption.READ));
            files.put(tid, f);
            return f;
        } catch (IOException | RuntimeException e) {
            ProcFs.closeQuietly(schedstat);
            // a thread that exited has no directory; one that has, without the files: an older kernel
            unsupported = Files.isDirectory(task);
            return null;
        }
    }

    @Override
    public void close() {
        for (Integer tid : files.keySet().toArray(new Integer[0])) {
            forget(tid);
        }
    }
}
