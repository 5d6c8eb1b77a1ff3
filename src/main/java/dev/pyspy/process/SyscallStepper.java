package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Platform;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.util.Log;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a process's main thread one system call at a time under ptrace, so that whoever watches it
 * looks at it at every system call and exec, and it can never run ahead of the watcher: a launched
 * program is stepped through its start-up until its interpreter exists ({@code cli.LaunchAttach}).
 * Nothing is written to the program and no code runs in it: it is only stopped and restarted.
 *
 * <p>The thread is seized ({@code PTRACE_SEIZE}) with {@code PTRACE_O_TRACEEXEC} (an exec is a stop,
 * not something to poll for) and {@code PTRACE_O_TRACESYSGOOD}, never {@code PTRACE_O_EXITKILL}: if
 * pyspy dies, the kernel detaches it and it runs on. Only that thread is traced: threads and
 * processes it starts run untraced. A signal it receives is passed on when it is restarted; a
 * group-stop (SIGSTOP, SIGTSTP, ...) ends the stepping ({@link Stop#GROUP_STOP}: the caller detaches,
 * and the program goes back to its group-stop); its exit ends it too, and the exit status, reaped
 * here when pyspy is its parent, is handed to {@link ChildProcess} ({@link ExitStatuses}).
 *
 * <p>Waits are for this one process only ({@code waitpid(pid)}), so they consume no stop meant for a
 * {@link ThreadPauser}. As with every tracer, every call must come from the thread that seized it
 * (see {@link ThreadPauser}'s threading note); calls from another thread throw.
 */
public final class SyscallStepper implements AutoCloseable {

    private static final Log LOG = Log.of(SyscallStepper.class);

    /** What the last {@link #step} saw. */
    public enum Stop {
        /** Entering a system call ({@link #syscall()} says which). */
        SYSCALL_ENTRY,
        /** Leaving one. */
        SYSCALL_EXIT,
        /** A syscall-stop the kernel does not say more of (before Linux 5.3): entry or exit. */
        SYSCALL,
        /** Just after an exec: a new image, whose first instruction has not run. */
        EXEC,
        /** A group-stop (a stopping signal): stepping ends here; {@link #close()} leaves it stopped. */
        GROUP_STOP,
        /** The process exited (its status is handed to {@link ChildProcess}). */
        EXITED,
        /** No longer traced by this thread for a reason of the kernel's (an exec from another thread). */
        LOST,
        /** Still running when the wait ended (a long system call, or a starved machine). */
        RUNNING
    }

    private static final long OPTIONS = LibC.PTRACE_O_TRACESYSGOOD | LibC.PTRACE_O_TRACEEXEC;
    private static final int SYSCALL_STOP = LibC.SIGTRAP | 0x80;
    private static final int WAIT = LibC.__WALL | LibC.__WNOTHREAD | LibC.WNOHANG;
    /** sizeof(struct ptrace_syscall_info) up to its entry's arguments: op, arch, ip, sp, nr, args[6]. */
    private static final int SYSCALL_INFO_SIZE = 88;
    private static final int INFO_NR = 24;
    private static final long FIRST_STOP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long DETACH_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long MAX_SLEEP_NANOS = 200_000;

    private static final boolean ARM64 = "aarch64".equals(Platform.ARCH);
    // asm/unistd_64.h (x86_64), asm-generic/unistd.h (aarch64)
    private static final long MMAP = ARM64 ? 222 : 9;
    /** Calls that can map, unmap or move a file: mmap munmap mprotect mremap (brk only grows the heap). */
    private static final long[] MAPPING_CALLS = ARM64 ? new long[] {MMAP, 215, 226, 216} : new long[] {MMAP, 11, 10, 25};
    private static final int MAP_ANONYMOUS = 0x20;
    /** Where the entry's fourth argument (mmap's flags) is in struct ptrace_syscall_info. */
    private static final int INFO_ARG3 = INFO_NR + 8 + 3 * 8;
    private static final long[] PROCESS_CALLS = ARM64 ? new long[] {220, 435} // clone clone3
            : new long[] {56, 57, 58, 435}; // clone fork vfork clone3

    private final int pid;
    private final Thread owner;
    private final Memory status = new Memory(4);
    private final Memory info = new Memory(SYSCALL_INFO_SIZE);
    private boolean traced;
    /** In a ptrace-stop this thread has seen (restartable, detachable). */
    private boolean stopped;
    private int pendingSignal;
    private boolean groupStop;
    private boolean syscallInfo = true;
    /** The system call of the last syscall-stop (an exit's is its entry's), -1 when unknown. */
    private long syscall = -1;
    /** The last entry was an mmap of no file. */
    private boolean anonymousMap;
    private Stop last;
    private long stops;

    private SyscallStepper(int pid) {
        this.pid = pid;
        this.owner = Thread.currentThread();
        LibC.preciseSleeps();
    }

    /**
     * Seizes {@code pid}, a process stopped by a stopping signal (a program held at its start by
     * {@link ChildProcess#startHeld}), and consumes the stop that reports it: it stays stopped until
     * the first {@link #step}, which should follow the SIGCONT that ends its group-stop. Fails with
     * PERMISSION_DENIED when the kernel refuses (a debugger traces it, ptrace is restricted).
     */
    public static SyscallStepper seizeStopped(int pid) throws PyspyException {
        SyscallStepper s = new SyscallStepper(pid);
        try {
            LibC.ptrace(LibC.PTRACE_SEIZE, pid, 0L, OPTIONS);
        } catch (LastErrorException e) {
            throw new PyspyException(e.getErrorCode() == LibC.ESRCH ? ExitCode.NO_SUCH_PROCESS : ExitCode.PERMISSION_DENIED,
                    "cannot trace process " + pid + ": " + LibC.strerror(e.getErrorCode()));
        }
        s.traced = true;
        Stop first = s.await(System.nanoTime() + FIRST_STOP_TIMEOUT_NANOS);
        if (first != Stop.GROUP_STOP) {
            s.close();
            throw new PyspyException(ExitCode.ERROR, "process " + pid + " was not stopped when seized (" + first + ")");
        }
        s.groupStop = false; // the caller ends this one (SIGCONT): not a reason to stop stepping
        return s;
    }

    public int pid() {
        return pid;
    }

    /** Whether the process is traced by this thread and stopped: held where {@link #step} left it. */
    public boolean holding() {
        return traced && stopped;
    }

    /**
     * Restarts the process if it is stopped (passing on a signal it was sent) and waits until its next
     * system call entry or exit, exec, group-stop or exit, or until {@code timeoutNanos} passed
     * ({@link Stop#RUNNING}; the next call goes on waiting). Signal-delivery-stops and interrupt stops
     * are passed through without being reported. After a {@link Stop#GROUP_STOP}, {@link Stop#EXITED}
     * or {@link Stop#LOST}, stepping is over: only {@link #close()} remains.
     */
    public Stop step(long timeoutNanos) {
        checkOwner();
        if (!traced || groupStop) {
            return last;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            if (stopped && !restart()) {
                return last = Stop.LOST;
            }
            Stop s = await(deadline);
            if (s != null) {
                return last = s;
            }
            // a stop that needs no attention (a signal to pass on, an interrupt): restart it
        }
    }

    /** The system call of the last syscall-stop ({@code orig_rax}/{@code x8} numbering), -1 when unknown. */
    public long syscall() {
        return syscall;
    }

    /**
     * Whether the last stop leaves a call that may have changed where a file is mapped (mmap of a
     * file, munmap, mprotect, mremap; not brk, nor an mmap of no file: the heap only grows).
     */
    public boolean fileMappingsMayHaveChanged() {
        return (last == Stop.SYSCALL_EXIT || last == Stop.SYSCALL)
                && (syscall < 0 || in(MAPPING_CALLS, syscall) && !anonymousMap);
    }

    /** Whether the last stop leaves a call that may have started a process or thread (clone, fork, vfork). */
    public boolean mayHaveStartedProcess() {
        return (last == Stop.SYSCALL_EXIT || last == Stop.SYSCALL) && (syscall < 0 || in(PROCESS_CALLS, syscall));
    }

    /** Stops seen so far (syscall-stops and the others). */
    public long stops() {
        return stops;
    }

    private boolean restart() {
        try {
            LibC.ptrace(LibC.PTRACE_SYSCALL, pid, 0L, (long) pendingSignal);
            stopped = false;
            pendingSignal = 0;
            return true;
        } catch (LastErrorException e) {
            // ESRCH: killed while stopped (SIGKILL ends a ptrace-stop); its exit is reported next
            if (e.getErrorCode() == LibC.ESRCH) {
                stopped = false;
                return true;
            }
            LOG.debug("PTRACE_SYSCALL {}: {}", pid, LibC.strerror(e.getErrorCode()));
            return false;
        }
    }

    /**
     * Waits for the next notification until {@code deadline}: the stop to report, null for one that
     * needs only a restart (the process is then stopped), RUNNING when the deadline passed.
     */
    private Stop await(long deadline) {
        long sleep = 0;
        while (true) {
            int who;
            try {
                status.setInt(0, 0);
                who = LibC.waitpid(pid, status, WAIT);
            } catch (LastErrorException e) {
                traced = false; // ECHILD: neither traced by this thread nor its child any more
                stopped = false;
                return Stop.LOST;
            }
            if (who == pid) {
                stops++;
                return classify(status.getInt(0));
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return Stop.RUNNING;
            }
            // the process is stopped while nobody looks: short precise sleeps (LibC.preciseSleeps)
            sleep = sleep == 0 ? 5_000 : Math.min(sleep * 2, MAX_SLEEP_NANOS);
            LockSupport.parkNanos(Math.min(sleep, deadline - now));
        }
    }

    private Stop classify(int st) {
        if (WaitStatus.terminated(st)) {
            ExitStatuses.record(pid, st); // pyspy's own child: ChildProcess takes the status from there
            traced = false;
            stopped = false;
            return Stop.EXITED;
        }
        if (!WaitStatus.stopped(st)) {
            return null;
        }
        stopped = true;
        int sig = WaitStatus.stopSignal(st);
        int event = WaitStatus.ptraceEvent(st);
        if (sig == SYSCALL_STOP && event == 0) {
            return syscallStop();
        }
        if (event == LibC.PTRACE_EVENT_EXEC) {
            syscall = -1;
            return Stop.EXEC;
        }
        if (event == LibC.PTRACE_EVENT_STOP) {
            if (sig == LibC.SIGSTOP || sig == LibC.SIGTSTP || sig == LibC.SIGTTIN || sig == LibC.SIGTTOU) {
                groupStop = true;
                return Stop.GROUP_STOP;
            }
            return null; // an interrupt stop, or the notice that a group-stop ended (SIGCONT)
        }
        if (event == 0) {
            pendingSignal = sig; // a signal-delivery-stop: the signal goes on with the restart
        }
        return null;
    }

    private Stop syscallStop() {
        if (syscallInfo) {
            try {
                long n = LibC.ptrace(LibC.PTRACE_GET_SYSCALL_INFO, pid, SYSCALL_INFO_SIZE, com.sun.jna.Pointer.nativeValue(info));
                int op = info.getByte(0);
                if (n > 0 && op == LibC.PTRACE_SYSCALL_INFO_ENTRY) {
                    syscall = info.getLong(INFO_NR);
                    anonymousMap = syscall == MMAP && (info.getLong(INFO_ARG3) & MAP_ANONYMOUS) != 0;
                    return Stop.SYSCALL_ENTRY;
                }
                if (n > 0 && op == LibC.PTRACE_SYSCALL_INFO_EXIT) {
                    return Stop.SYSCALL_EXIT; // the number is the entry's, kept from its stop
                }
            } catch (LastErrorException e) {
                LOG.debug("PTRACE_GET_SYSCALL_INFO: {}", LibC.strerror(e.getErrorCode()));
                syscallInfo = false;
            }
        }
        syscall = -1;
        anonymousMap = false;
        return Stop.SYSCALL;
    }

    private static boolean in(long[] calls, long nr) {
        for (long c : calls) {
            if (c == nr) {
                return true;
            }
        }
        return false;
    }

    /**
     * Detaches, leaving the process to run untraced (a signal it was sent goes on with it; from a
     * group-stop it goes back to its group-stop). A running process is interrupted first, as
     * PTRACE_DETACH needs a stopped tracee. Idempotent.
     */
    @Override
    public void close() {
        checkOwner();
        if (!traced) {
            return;
        }
        if (!stopped) {
            try {
                LibC.ptrace(LibC.PTRACE_INTERRUPT, pid, 0L, 0L);
            } catch (LastErrorException e) {
                LOG.debug("PTRACE_INTERRUPT {}: {}", pid, LibC.strerror(e.getErrorCode()));
            }
            long deadline = System.nanoTime() + DETACH_TIMEOUT_NANOS;
            while (traced && !stopped) {
                if (await(deadline) == Stop.RUNNING) {
                    LOG.warn("process {} did not stop; it stays traced until this thread ends", pid);
                    return;
                }
            }
            if (!traced) {
                return;
            }
        }
        try {
            LibC.ptrace(LibC.PTRACE_DETACH, pid, 0L, groupStop ? 0L : pendingSignal);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != LibC.ESRCH) {
                LOG.warn("cannot detach from process {}: {}", pid, LibC.strerror(e.getErrorCode()));
            }
        }
        traced = false;
        stopped = false;
        pendingSignal = 0;
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("SyscallStepper for pid " + pid + " belongs to thread '" + owner.getName()
                    + "': ptrace requests must come from the thread that seized the tracee");
        }
    }

    @Override
    public String toString() {
        return "SyscallStepper[pid=" + pid + ", " + (traced ? stopped ? "held" : "running" : "detached") + "]";
    }
}
