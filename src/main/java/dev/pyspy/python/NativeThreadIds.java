package dev.pyspy.python;

import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Maps the interpreter's thread ids (pthread_t) to kernel tids for versions that do not record
 * the tid (before 3.11), without unwinding: on glibc a pthread_t is the address of the thread's
 * {@code struct pthread}, which holds the tid at a fixed offset. The offset is found once by looking
 * for the position where every thread's value is one of the process's tids.
 */
public final class NativeThreadIds {
    /** glibc's offsetof(struct pthread, tid) on x86_64, tried first. */
    private static final int GLIBC_X86_64_TID = 0x2d0;
    private static final int SCAN_BYTES = 2048;

    private final ProcessMemory memory;
    private final Map<Long, Long> cache = new HashMap<>();
    private final ByteBuffer buf = ByteBuffer.allocate(SCAN_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private int offset = -1;

    public NativeThreadIds(ProcessMemory memory) {
        this.memory = memory;
    }

    /**
     * Tids for the given pthread ids; {@code tids} is the process's current task list. Unknown
     * entries map to 0.
     */
    public long[] resolve(long[] pthreadIds, int count, Set<Long> tids) {
        long[] out = new long[count];
        if (offset < 0) {
            offset = calibrate(pthreadIds, count, tids);
        }
        for (int i = 0; i < count; i++) {
            Long cached = cache.get(pthreadIds[i]);
            if (cached != null && tids.contains(cached)) {
                out[i] = cached;
                continue;
            }
            long tid = offset < 0 ? 0 : readTid(pthreadIds[i], offset);
            if (tids.contains(tid)) {
                cache.put(pthreadIds[i], tid);
                out[i] = tid;
            }
        }
        return out;
    }

    private long readTid(long pthread, int off) {
        try {
            memory.read(pthread + off, buf, 4);
            return buf.getInt(0);
        } catch (MemoryReadException e) {
            return 0;
        }
    }

    private int calibrate(long[] pthreadIds, int count, Set<Long> tids) {
        if (count == 0) {
            return -1;
        }
        if (consistent(GLIBC_X86_64_TID, pthreadIds, count, tids)) {
            return GLIBC_X86_64_TID;
        }
        for (int off = 0; off < SCAN_BYTES; off += 4) {
            if (off != GLIBC_X86_64_TID && consistent(off, pthreadIds, count, tids)) {
                return off;
            }
        }
        return -1;
    }

    private boolean consistent(int off, long[] pthreadIds, int count, Set<Long> tids) {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            long tid = readTid(pthreadIds[i], off);
            if (!tids.contains(tid) || !seen.add(tid)) {
                return false;
            }
        }
        return true;
    }
}
