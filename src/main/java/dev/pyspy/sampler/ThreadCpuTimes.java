package dev.pyspy.sampler;

import dev.pyspy.process.TaskFileReader;
import dev.pyspy.util.LongIntMap;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@code --mode cpu}: how much CPU time each thread of one process used since the last sample, from
 * the first field of {@code /proc/PID/task/TID/schedstat} (nanoseconds on a CPU), one pread per thread
 * read with the kernel states. A thread earns the time it ran as credit and a sample spends one
 * interval of it ({@link #spend}), so each thread's count of samples follows the CPU time it used,
 * not the time it was runnable: on a loaded machine a runnable thread may wait for a CPU most of the
 * time (docs/performance.md, "--mode cpu").
 */
final class ThreadCpuTimes implements AutoCloseable {
    /**
     * Credit kept: at most this many intervals, and at least {@link #MIN_CREDIT_NANOS}, so a thread that
     * ran long ago does not flood later samples.
     */
    static final int MAX_CREDIT_INTERVALS = 4;
    /**
     * The floor of the credit kept. The kernel adds a running thread's time to schedstat at scheduler
     * ticks and when it leaves the CPU, and a starved sampler's passes come late: a smaller cap lost
     * a busy thread half its CPU time on a loaded machine (docs/performance.md, "--mode cpu").
     */
    static final long MIN_CREDIT_NANOS = 500_000_000L;
    /**
     * Intervals a running thread may count ahead of the CPU time it earned. Without this slack a thread
     * that earns about what it spends (on a CPU whenever it runs, as a thread contending for the GIL on
     * an idle machine) loses every sample that finds its credit just short, and was counted 15% low.
     */
    static final int MAX_DEBT_INTERVALS = 4;

    private final TaskFileReader schedstat;
    /** tid → slot in the arrays below. */
    private final LongIntMap slots = new LongIntMap(64);
    private long[] lastRunNanos = new long[16];
    private long[] creditNanos = new long[16];
    private int[] free = new int[16];
    private int freeCount;
    private int used;
    private long lastReadAt;
    private long elapsedNanos;
    private long rounds;
    /**
     * What one sample stands for: the mean time between rounds so far (0 before the second). Not the
     * last gap: a sampler catching up takes short ones, where a thread with a little credit would
     * count as often as one that ran throughout.
     */
    private long intervalNanos;

    ThreadCpuTimes(int pid, int maxOpen) {
        this.schedstat = new TaskFileReader(pid, "schedstat", maxOpen);
    }

    /** Starts a round of reads: the time since the last round is what a sample stands for. */
    void startRound(long nowNanos) {
        if (lastReadAt != 0) {
            elapsedNanos += nowNanos - lastReadAt;
            rounds++;
            intervalNanos = elapsedNanos / rounds;
        }
        lastReadAt = nowNanos;
    }

    /** Reads one thread's CPU time and adds what it ran since the last round to its credit. */
    void read(int tid) {
        int n = schedstat.read(tid);
        if (n <= 0) {
            forget(tid);
            return;
        }
        long run = parseFirst(schedstat.buffer(), n);
        int slot = slots.get(tid, -1);
        if (slot < 0) {
            slot = allocate();
            slots.put(tid, slot);
            lastRunNanos[slot] = run; // a thread seen for the first time: its baseline, no credit yet
            creditNanos[slot] = 0;
            return;
        }
        long credit = creditNanos[slot] + Math.max(0, run - lastRunNanos[slot]);
        lastRunNanos[slot] = run;
        creditNanos[slot] = Math.min(credit, Math.max(MIN_CREDIT_NANOS, MAX_CREDIT_INTERVALS * intervalNanos));
    }

    /**
     * Whether the thread counts in this sample: it is on a CPU now ({@code running}: its kernel state)
     * and its credit, less one interval, stays within {@link #MAX_DEBT_INTERVALS}; that interval is
     * then spent.
     */
    boolean spend(long tid, boolean running) {
        int slot = slots.get(tid, -1);
        if (!running || slot < 0 || intervalNanos <= 0
                || creditNanos[slot] - intervalNanos < -MAX_DEBT_INTERVALS * intervalNanos) {
            return false;
        }
        creditNanos[slot] -= intervalNanos;
        return true;
    }

    /** A thread that is gone: its descriptor closed and its slot reused. */
    void forget(int tid) {
        schedstat.forget(tid);
        int slot = slots.get(tid, -1);
        if (slot >= 0) {
            slots.put(tid, -1);
            if (freeCount == free.length) {
                free = Arrays.copyOf(free, freeCount * 2);
            }
            free[freeCount++] = slot;
        }
    }

    int openDescriptors() {
        return schedstat.openDescriptors();
    }

    private int allocate() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (used == lastRunNanos.length) {
            lastRunNanos = Arrays.copyOf(lastRunNanos, used * 2);
            creditNanos = Arrays.copyOf(creditNanos, used * 2);
        }
        return used++;
    }

    /** The first decimal field of "RUN_NS WAIT_NS TIMESLICES\n". */
    private static long parseFirst(ByteBuffer buf, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            byte b = buf.get(i);
            if (b < '0' || b > '9') {
                break;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    @Override
    public void close() {
        schedstat.close();
    }
}
