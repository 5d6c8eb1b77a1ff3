package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads one {@code /proc/PID/task/TID/NAME} file of each thread of a process (stat, schedstat,
 * syscall) with a bounded number of descriptors: the first {@code maxOpen} threads keep theirs open
 * (one pread a read), the others open theirs relative to the task directory's descriptor, read and
 * close it (three system calls, none of them a path walk from /proc). A fixed set stays open rather
 * than the most recently used: every thread is read once per sample, in the same order, which would
 * make an LRU miss every time. Where the process may open fewer files than that (a low
 * {@code RLIMIT_NOFILE}), a kept descriptor is given up for each file that could not be opened, and
 * the set shrinks to what fits, so that a read never fails for want of a descriptor.
 *
 * <p>Not thread-safe; reads go to a buffer the caller reads with {@link #buffer()}.
 */
public final class TaskFileReader implements AutoCloseable {

    private final byte[] name;
    private int maxOpen;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1024);
    private final long bufAddress;
    /** "TID/NAME\0", rewritten for each thread opened. */
    private final ByteBuffer path = ByteBuffer.allocateDirect(256);
    private final long pathAddress;
    private int taskDir = -1;
    private final int pid;
    /** Open addressing, tid → descriptor: keys 0 are empty (no thread has id 0). */
    private int[] tids;
    private int[] fds;
    private int open;

    public TaskFileReader(int pid, String name, int maxOpen) {
        this.pid = pid;
        this.name = ("/" + name + "\0").getBytes(StandardCharsets.US_ASCII);
        this.maxOpen = maxOpen;
        this.bufAddress = Pointer.nativeValue(Native.getDirectBufferPointer(buf));
        this.pathAddress = Pointer.nativeValue(Native.getDirectBufferPointer(path));
        int slots = Integer.highestOneBit(Math.max(4, maxOpen) * 2) * 2;
        this.tids = new int[slots];
        this.fds = new int[slots];
    }

    /** How many threads' files it keeps open at most (lowered when the process runs out of descriptors). */
    public int maxOpen() {
        return maxOpen;
    }

    /** Descriptors this reader holds open now (the task directory's included). */
    public int openDescriptors() {
        return open + (taskDir >= 0 ? 1 : 0);
    }

    /**
     * Reads the thread's file into {@link #buffer()} (position 0, limit the length); returns the
     * length, or -1 when the thread (or the file) is gone.
     */
    public int read(int tid) {
        int slot = find(tid);
        if (slot >= 0) {
            int n = pread(fds[slot]);
            if (n < 0) {
                forget(tid);
            }
            return n;
        }
        int fd = openFile(tid);
        if (fd < 0) {
            return -1;
        }
        int n = pread(fd);
        if (n >= 0 && open < maxOpen) {
            insert(tid, fd);
        } else {
            closeQuietly(fd);
        }
        return n;
    }

    /** The bytes the last {@link #read} returned. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Closes the thread's descriptor, if it has one (a thread that is gone). */
    public void forget(int tid) {
        int slot = find(tid);
        if (slot < 0) {
            return;
        }
        closeQuietly(fds[slot]);
        open--;
        // backward-shift deletion keeps every probe sequence unbroken
        int mask = tids.length - 1;
        int hole = slot;
        for (int i = (slot + 1) & mask; tids[i] != 0; i = (i + 1) & mask) {
            int home = hash(tids[i]) & mask;
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                tids[hole] = tids[i];
                fds[hole] = fds[i];
                hole = i;
            }
        }
        tids[hole] = 0;
    }

    @Override
    public void close() {
        for (int i = 0; i < tids.length; i++) {
            if (tids[i] != 0) {
                closeQuietly(fds[i]);
                tids[i] = 0;
            }
        }
        open = 0;
        if (taskDir >= 0) {
            closeQuietly(taskDir);
            taskDir = -1;
        }
    }

    private int pread(int fd) {
        try {
            int n = (int) LibC.pread(fd, bufAddress, buf.capacity(), 0);
            buf.clear().limit(n);
            return n;
        } catch (LastErrorException e) {
            buf.clear().limit(0);
            return -1;
        }
    }

    private int openFile(int tid) {
        if (taskDir < 0) {
            byte[] dir = (ProcFs.procPath(pid, "task") + "\0").getBytes(StandardCharsets.UTF_8);
            path.clear();
            path.put(dir);
            try {
                taskDir = LibC.openat(LibC.AT_FDCWD, pathAddress, LibC.O_RDONLY | LibC.O_CLOEXEC);
            } catch (LastErrorException e) {
                return -1;
            }
        }
        path.clear();
        putDecimal(tid);
        path.put(name);
        while (true) {
            try {
                return LibC.openat(taskDir, pathAddress, LibC.O_RDONLY | LibC.O_CLOEXEC);
            } catch (LastErrorException e) {
                boolean noDescriptor = e.getErrorCode() == LibC.EMFILE || e.getErrorCode() == LibC.ENFILE;
                if (!noDescriptor || open == 0) {
                    return -1;
                }
                // out of descriptors: keep fewer files open, never fail a read for it
                maxOpen = open - 1;
                forgetOne();
            }
        }
    }

    /** Closes one kept descriptor, whichever. */
    private void forgetOne() {
        for (int i = 0; i < tids.length; i++) {
            if (tids[i] != 0) {
                forget(tids[i]);
                return;
            }
        }
    }

    private void putDecimal(int v) {
        int start = path.position();
        do {
            path.put((byte) ('0' + v % 10));
            v /= 10;
        } while (v > 0);
        for (int i = start, j = path.position() - 1; i < j; i++, j--) {
            byte b = path.get(i);
            path.put(i, path.get(j));
            path.put(j, b);
        }
    }

    private int find(int tid) {
        int mask = tids.length - 1;
        for (int i = hash(tid) & mask; tids[i] != 0; i = (i + 1) & mask) {
            if (tids[i] == tid) {
                return i;
            }
        }
        return -1;
    }

    private void insert(int tid, int fd) {
        int mask = tids.length - 1;
        int i = hash(tid) & mask;
        while (tids[i] != 0) {
            i = (i + 1) & mask;
        }
        tids[i] = tid;
        fds[i] = fd;
        open++;
    }

    private static int hash(int tid) {
        return tid * 0x9E3779B1;
    }

    private static void closeQuietly(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            // nothing to do: the descriptor is released either way
        }
    }
}
