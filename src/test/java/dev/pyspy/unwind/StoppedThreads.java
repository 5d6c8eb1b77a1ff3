package dev.pyspy.unwind;

import com.sun.jna.Memory;
import dev.pyspy.process.LibC;
import dev.pyspy.process.ProcFs;

/**
 * Every thread of a process stopped by this (tracer) thread, for as long as the test needs them:
 * PTRACE_SEIZE, PTRACE_INTERRUPT and a blocking wait for each stop, then PTRACE_DETACH on close.
 * Unlike the sampler's pauser it waits as long as it takes: the test wants every thread.
 */
final class StoppedThreads implements AutoCloseable {

    private final int[] tids;

    StoppedThreads(int pid) throws Exception {
        tids = ProcFs.threadIds(pid);
        Memory status = new Memory(4);
        for (int tid : tids) {
            LibC.ptrace(LibC.PTRACE_SEIZE, tid, 0L, 0L);
            LibC.ptrace(LibC.PTRACE_INTERRUPT, tid, 0L, 0L);
            LibC.waitpid(tid, status, LibC.__WALL);
        }
    }

    int[] tids() {
        return tids;
    }

    @Override
    public void close() {
        for (int tid : tids) {
            try {
                LibC.ptrace(LibC.PTRACE_DETACH, tid, 0L, 0L);
            } catch (com.sun.jna.LastErrorException e) {
                // gone
            }
        }
    }
}
