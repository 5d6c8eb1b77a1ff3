package dev.pyspy.process;

import java.nio.ByteBuffer;

/**
 * Tells whether a thread is blocked in the kernel, off the CPU, and whether it has run since: a
 * thread that stays so while pyspy reads memory cannot change it, and need not be stopped.
 *
 * <p>{@code /proc/PID/task/TID/syscall} shows "running" unless the thread is blocked, and the kernel
 * only answers for a blocked thread once it is off the CPU (a thread that has just said it will sleep
 * may still be on it). {@code /proc/PID/task/TID/schedstat}'s third field counts the times the thread
 * was switched in: unchanged from before the first look to after the read, the thread did not run.
 * Each is read with one pread on a descriptor kept open for the first {@link #MAX_OPEN_THREADS}
 * threads, and opened for the read beyond (see {@link TaskFileReader}). Where the kernel has neither
 * file, {@link #switchesIn} answers -1 and callers stop every thread as before.
 */
final class OffCpuCheck implements AutoCloseable {
    /** Threads whose two files stay open: the descriptors are bounded whatever the thread count. */
    static final int MAX_OPEN_THREADS = 512;
    private static final byte[] RUNNING = {'r', 'u', 'n', 'n', 'i', 'n', 'g'};

    private final TaskFileReader schedstat;
    private final TaskFileReader syscall;
    /** Files read so far (schedstat and syscall). */
    private long reads;

    OffCpuCheck(int pid) {
        this.schedstat = new TaskFileReader(pid, "schedstat", MAX_OPEN_THREADS);
        this.syscall = new TaskFileReader(pid, "syscall", MAX_OPEN_THREADS);
    }

    /** How many times the thread has been switched onto a CPU; -1 when it cannot tell. */
    long switchesIn(int tid) {
        reads++;
        if (schedstat.read(tid) <= 0) {
            return -1;
        }
        ByteBuffer buf = schedstat.buffer();
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
        reads++;
        int n = syscall.read(tid);
        if (n <= 0) {
            return false;
        }
        ByteBuffer buf = syscall.buffer();
        for (int i = 0; i < RUNNING.length; i++) {
            if (i >= n || buf.get(i) != RUNNING[i]) {
                return true;
            }
        }
        return false;
    }

    /** Files read so far (schedstat and syscall). */
    long reads() {
        return reads;
    }

    /** Descriptors held open now. */
    int openDescriptors() {
        return schedstat.openDescriptors() + syscall.openDescriptors();
    }

    /** Closes the files of a thread that is gone. */
    void forget(int tid) {
        schedstat.forget(tid);
        syscall.forget(tid);
    }

    @Override
    public void close() {
        schedstat.close();
        syscall.close();
    }
}
