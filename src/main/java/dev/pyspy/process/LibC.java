package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few glibc functions pyspy needs, bound with JNA direct mapping (one JNI stub per method, no
 * reflection or boxing per call: these sit on the sampling hot path). Functions that report failure
 * through errno declare {@link LastErrorException} so the errno value reaches the caller; JNA clears
 * errno before such a call and throws when it is non-zero afterwards.
 *
 * <p>Constant names follow the man pages and the x86_64 glibc headers.
 */
public final class LibC {

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {}

    // ---- errno (asm-generic/errno-base.h) ----
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOSYS = 38;
    /** A netlink socket's queue overflowed: messages were dropped. */
    public static final int ENOBUFS = 105;

    // ---- signals (x86_64 numbering) ----
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGTRAP = 5;
    public static final int SIGABRT = 6;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGTERM = 15;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;

    // ---- ptrace(2) requests ----
    public static final long PTRACE_DETACH = 17;
    public static final long PTRACE_SEIZE = 0x4206;
    public static final long PTRACE_INTERRUPT = 0x4207;
    /** Copies a stopped tracee's general registers into a {@link #SIZEOF_USER_REGS_STRUCT}-byte buffer. */
    public static final long PTRACE_GETREGS = 12;
    /** sizeof(struct user_regs_struct) on x86_64: 27 registers of 8 bytes. */
    public static final int SIZEOF_USER_REGS_STRUCT = 27 * 8;
    /** Stop reported after PTRACE_INTERRUPT or a group-stop of a seized tracee: {@code status >> 16}. */
    public static final int PTRACE_EVENT_STOP = 128;
    /** Restarts a stopped tracee until its next system call entry or exit (a syscall-stop). */
    public static final long PTRACE_SYSCALL = 24;
    /** Fills a {@code struct ptrace_syscall_info}: is a syscall-stop an entry or an exit, and which call (Linux 5.3+). */
    public static final long PTRACE_GET_SYSCALL_INFO = 0x420e;
    public static final int PTRACE_SYSCALL_INFO_ENTRY = 1;
    public static final int PTRACE_SYSCALL_INFO_EXIT = 2;
    /** Syscall-stops report SIGTRAP | 0x80, told apart from a real SIGTRAP. */
    public static final long PTRACE_O_TRACESYSGOOD = 0x1;
    /** An exec is a ptrace stop (PTRACE_EVENT_EXEC) instead of a SIGTRAP. */
    public static final long PTRACE_O_TRACEEXEC = 0x10;
    public static final int PTRACE_EVENT_EXEC = 4;
    /**
     * Listed only to say it must never be passed: it would make the kernel SIGKILL every tracee
     * when pyspy exits, and killing pyspy must never kill the profiled program.
     */
    public static final long PTRACE_O_EXITKILL = 0x100000;

    // ---- wait(2) options ----
    public static final int WNOHANG = 1;
    public static final int WUNTRACED = 2;
    public static final int WSTOPPED = 2;
    public static final int WEXITED = 4;
    public static final int WCONTINUED = 8;
    public static final int WNOWAIT = 0x01000000;
    public static final int __WNOTHREAD = 0x20000000;
    public static final int __WALL = 0x40000000;

    // ---- waitid(2) idtype_t and siginfo si_code values for SIGCHLD ----
    public static final int P_ALL = 0;
    public static final int P_PID = 1;
    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;
    public static final int CLD_TRAPPED = 4;
    public static final int CLD_STOPPED = 5;
    public static final int CLD_CONTINUED = 6;
    /** sizeof(siginfo_t). */
    public static final int SIGINFO_SIZE = 128;

    // ---- open(2) flags ----
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_CREAT = 0100;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;

    // ---- poll(2) ----
    public static final short POLLIN = 1;

    // ---- posix_spawn(3) flags (glibc spawn.h) ----
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** Generous upper bounds of glibc's opaque struct sizes (336, 80 and 128 bytes on x86_64). */
    public static final int SIZEOF_POSIX_SPAWNATTR_T = 512;
    public static final int SIZEOF_POSIX_SPAWN_FILE_ACTIONS_T = 256;
    public static final int SIZEOF_SIGSET_T = 128;

    /** UIO_MAXIOV: most iovecs one process_vm_readv call accepts. */
    public static final int IOV_MAX = 1024;

    // ---- syscall numbers (x86_64; pidfd_* share numbers across architectures) ----
    public static final long SYS_pidfd_send_signal = 424;
    public static final long SYS_pidfd_open = 434;

    /** Reads another process's memory; returns bytes read, which may be fewer than asked (partial read). */
    public static native long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt,
            long flags) throws LastErrorException;

    // glibc's ptrace is variadic; on x86_64 fixed-arity calls pass the same registers.
    public static native long ptrace(long request, int pid, Pointer addr, Pointer data) throws LastErrorException;

    public static native long ptrace(long request, int pid, long addr, long data) throws LastErrorException;

    /** {@code status} points to an int (4 bytes) or is null. */
    public static native int waitpid(int pid, Pointer status, int options) throws LastErrorException;

    /** {@code infop} points to a zeroed siginfo_t ({@link #SIGINFO_SIZE} bytes). */
    public static native int waitid(int idtype, int id, Pointer infop, int options) throws LastErrorException;

    public static native int kill(int pid, int signal) throws LastErrorException;

    /** Size of glibc's struct sigaction on x86_64 and aarch64; its first field is the handler. */
    public static final int SIZEOF_SIGACTION = 152;
    public static final long SIG_DFL = 0;
    public static final long SIG_IGN = 1;

    /** sigaction(2): here only to read the current disposition (act null). */
    public static native int sigaction(int signal, Pointer act, Pointer oldact) throws LastErrorException;

    /** signal(2), for setting a plain disposition ({@link #SIG_DFL}); returns the previous one. */
    public static native long signal(int signal, long handler);

    public static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    private static final int PR_SET_TIMERSLACK = 29;

    /**
     * Lets this thread's timed sleeps end within about a microsecond of when they were asked to
     * (the kernel otherwise lets them overshoot by up to 50 us to batch wake-ups): the sampler and
     * tracer thread sleeps between samples and while a paused thread stops, and a late wake-up is a
     * longer pause of the target, or a late sample.
     */
    public static void preciseSleeps() {
        prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0); // a refusal only costs precision
    }

    public static final int PRIO_PROCESS = 0;

    /** With {@link #PRIO_PROCESS} and a thread id, that one thread's nice value (Linux); negative values need root. */
    public static native int setpriority(int which, int who, int prio) throws LastErrorException;

    /** Sets the calling thread's nice value; false when refused (a negative one needs root). */
    public static boolean setThreadNice(int nice) {
        try {
            setpriority(PRIO_PROCESS, gettid(), nice);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    public static native int getuid();

    public static native int geteuid();

    public static native int getpid();

    /** The calling OS thread's id (the tracer's identity for ptrace). */
    public static native int gettid();

    public static native int close(int fd) throws LastErrorException;

    /** {@code path}: the address of a NUL-terminated name (no mode: never with O_CREAT). */
    public static native int openat(int dirfd, long path, int flags) throws LastErrorException;

    /** Reads into the {@code count} bytes at address {@code buf}. */
    public static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    /** The same value on x86_64 and aarch64. */
    public static final int O_CLOEXEC = 0x80000;

    // ---- netlink (taskstats: GroupSwitchCount) ----
    public static final int AF_NETLINK = 16;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int NETLINK_GENERIC = 16;

    public static native int socket(int domain, int type, int protocol) throws LastErrorException;

    /** Sends the {@code length} bytes at address {@code buf}. */
    public static native long send(int fd, long buf, long length, int flags) throws LastErrorException;

    /** Receives into the {@code length} bytes at address {@code buf}. */
    public static native long recv(int fd, long buf, long length, int flags) throws LastErrorException;

    /** {@code addr}: the address of a {@code length}-byte socket address (for netlink, a struct sockaddr_nl). */
    public static native int bind(int fd, long addr, int length) throws LastErrorException;

    /** {@code value}: the address of the option's {@code length} bytes. */
    public static native int setsockopt(int fd, int level, int name, long value, int length) throws LastErrorException;

    public static final int AT_FDCWD = -100;
    public static final int STATX_NLINK = 0x4;
    /** struct statx: large enough, and where its {@code stx_nlink} (u32) is, on every architecture. */
    public static final int STATX_SIZE = 256;
    public static final int STATX_NLINK_OFFSET = 16;

    /** statx(2) through syscall(2): glibc has a wrapper only since 2.28. */
    private static final long SYS_statx = Platform.ARCH.equals("aarch64") ? 291 : 332;

    /** {@code path} is a NUL-terminated name; {@code buf} holds {@link #STATX_SIZE} bytes. */
    public static void statx(int dirfd, Pointer path, int flags, int mask, Pointer buf) throws LastErrorException {
        syscall(SYS_statx, dirfd, Pointer.nativeValue(path), flags, mask, Pointer.nativeValue(buf));
    }

    /** {@code fds} points to {@code nfds} struct pollfd (8 bytes each). */
    public static native int poll(Pointer fds, long nfds, int timeoutMillis) throws LastErrorException;

    // syscall(2) is variadic too; only integer arguments are passed, which is safe on x86_64.
    public static native long syscall(long number, long arg1, long arg2) throws LastErrorException;

    public static native long syscall(long number, long arg1, long arg2, long arg3, long arg4) throws LastErrorException;

    public static native long syscall(long number, long arg1, long arg2, long arg3, long arg4, long arg5)
            throws LastErrorException;

    // posix_spawn family: these return an error number instead of setting errno.
    public static native int posix_spawnp(Pointer pid, String file, Pointer fileActions, Pointer attr, Pointer argv,
            Pointer envp);

    public static native int posix_spawnattr_init(Pointer attr);

    public static native int posix_spawnattr_destroy(Pointer attr);

    public static native int posix_spawnattr_setflags(Pointer attr, short flags);

    public static native int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);

    public static native int posix_spawn_file_actions_init(Pointer fileActions);

    public static native int posix_spawn_file_actions_destroy(Pointer fileActions);

    public static native int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path, int oflag,
            int mode);

    public static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newfd);

    public static native int sigemptyset(Pointer set);

    /** Text of an errno value, for messages. */
    public static String strerror(int errno) {
        return switch (errno) {
            case EPERM -> "Operation not permitted";
            case ENOENT -> "No such file or directory";
            case ESRCH -> "No such process";
            case EINTR -> "Interrupted system call";
            case EIO -> "Input/output error";
            case ECHILD -> "No child processes";
            case EAGAIN -> "Resource temporarily unavailable";
            case ENOMEM -> "Cannot allocate memory";
            case EACCES -> "Permission denied";
            case EFAULT -> "Bad address";
            case EINVAL -> "Invalid argument";
            case ENOSYS -> "Function not implemented";
            default -> "errno " + errno;
        };
    }
}
