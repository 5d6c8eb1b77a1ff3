package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.util.Log;
import dev.pyspy.util.SudoUser;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A program pyspy starts and then profiles (launch mode), created with {@code posix_spawnp(3)}.
 * It inherits pyspy's stdin, stdout, stderr, working directory and environment.
 *
 * <p>Not {@link ProcessBuilder}: Java's process reaper thread calls waitpid on its children and
 * would steal the ptrace stop notifications pyspy's tracer thread waits for. This class never
 * consumes a stop notification either: it blocks on a pidfd (readable once the process has exited)
 * and peeks with {@code waitid(WNOWAIT)} before reaping. If the tracer reaped the process first
 * (a traced child's exit goes to the tracer), the status is taken from where the tracer left it.
 *
 * <p>Thread-safe.
 */
public final class ChildProcess implements AutoCloseable {

    private static final Log LOG = Log.of(ChildProcess.class);
    private static final int SI_CODE = 8;
    private static final int SI_PID = 16;
    private static final int SI_STATUS = 24;

    /** Runs the program as another user; {@link #fromSudo()} gives the user who invoked sudo. */
    public record RunAs(int uid, int gid) {

        /**
         * When pyspy runs as root under sudo, the invoking user ({@code SUDO_UID}/{@code SUDO_GID}),
         * so that the profiled program does not run as root.
         */
        public static Optional<RunAs> fromSudo() {
            return fromSudo(System.getenv(), LibC.geteuid());
        }

        static Optional<RunAs> fromSudo(Map<String, String> env, int euid) {
            return SudoUser.of(env, euid).map(user -> new RunAs(user.uid(), user.gid()));
        }

        /** The command prefixed with setpriv, which changes ids and then execs it (keeping the pid). */
        List<String> wrap(List<String> command) {
            List<String> full = new ArrayList<>(List.of("setpriv", "--reuid", Integer.toString(uid),
                    "--regid", Integer.toString(gid), "--init-groups", "--"));
            full.addAll(command);
            return full;
        }
    }

    private final int pid;
    private final List<String> command;
    /** pidfd of the child, or -1 if the kernel has none (before Linux 5.3). */
    private int pidfd;
    private Integer rawStatus;

    private ChildProcess(int pid, List<String> command) {
        this.pid = pid;
        this.command = List.copyOf(command);
        this.pidfd = openPidfd(pid);
    }

    /** Starts {@code command} (looked up in PATH) with pyspy's environment. */
    public static ChildProcess start(List<String> command) throws PyspyException {
        return start(command, Map.of(), null);
    }

    /**
     * Starts {@code command} (looked up in PATH).
     *
     * @param extraEnv variables to set on top of pyspy's environment (a null value removes one)
     * @param runAs    user to run as, or null to keep pyspy's
     */
    public static ChildProcess start(List<String> command, Map<String, String> extraEnv, RunAs runAs)
            throws PyspyException {
        return start(command, extraEnv, runAs, null);
    }

    /**
     * Like {@link #start(List, Map, RunAs)}, but when {@code output} is not null the program's
     * stdout and stderr go to that file (truncated) and its stdin is /dev/null: for running it
     * in the background, and for tests whose own stdout belongs to the test runner.
     */
    public static ChildProcess start(List<String> command, Map<String, String> extraEnv, RunAs runAs, Path output)
            throws PyspyException {
        return start(command, extraEnv, runAs, output, false);
    }

    /**
     * Like {@link #start(List, Map, RunAs)}, but the program is held before it runs its first
     * instruction: a shell stops itself (SIGSTOP) before it execs the command, and this returns once
     * it is stopped. {@link #release()} lets it go on. (Should pyspy die first, the kernel sends the
     * stopped, orphaned process SIGHUP and SIGCONT, which end it before the program ever started.)
     */
    public static ChildProcess startHeld(List<String> command, Map<String, String> extraEnv, RunAs runAs)
            throws PyspyException {
        ChildProcess child = start(command, extraEnv, runAs, null, true);
        try {
            while (ProcFs.processState(child.pid) != 'T') {
                if (!child.isAlive()) {
                    throw new PyspyException(ExitCode.ERROR, "cannot run " + command.get(0) + ": the shell that"
                            + " starts it exited (code " + child.exitCode().orElse(-1) + ")");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
        } catch (PyspyException e) {
            child.kill(LibC.SIGKILL);
            child.close();
            throw e;
        }
        return child;
    }

    /** Lets a program started with {@link #startHeld} run. */
    public void release() {
        kill(LibC.SIGCONT);
    }

    private static ChildProcess start(List<String> command, Map<String, String> extraEnv, RunAs runAs, Path output,
                                      boolean held) throws PyspyException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        List<String> argv = runAs == null ? command : runAs.wrap(command);
        if (held) {
            requireRunnable(argv.get(0));
            List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "kill -STOP $$ && exec \"$@\"", "sh"));
            wrapped.addAll(argv);
            argv = wrapped;
        }
        Map<String, String> env = new LinkedHashMap<>(System.getenv());
        extraEnv.forEach((k, v) -> {
            if (v == null) {
                env.remove(k);
            } else {
                env.put(k, v);
            }
        });
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));

        try (com.sun.jna.Memory pidOut = new com.sun.jna.Memory(4);
             com.sun.jna.Memory attr = new com.sun.jna.Memory(LibC.SIZEOF_POSIX_SPAWNATTR_T);
             com.sun.jna.Memory actions = new com.sun.jna.Memory(LibC.SIZEOF_POSIX_SPAWN_FILE_ACTIONS_T);
             com.sun.jna.Memory sigmask = new com.sun.jna.Memory(LibC.SIZEOF_SIGSET_T)) {
            StringArray argvNative = new StringArray(argv.toArray(new String[0]));
            StringArray envNative = new StringArray(envList.toArray(new String[0]));
            check(LibC.posix_spawnattr_init(attr), "posix_spawnattr_init");
            check(LibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            try {
                // JVM threads block some signals; the program must start with none blocked.
                LibC.sigemptyset(sigmask);
                check(LibC.posix_spawnattr_setsigmask(attr, sigmask), "posix_spawnattr_setsigmask");
                check(LibC.posix_spawnattr_setflags(attr, LibC.POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");
                if (output != null) {
                    check(LibC.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", LibC.O_RDONLY, 0),
                            "posix_spawn_file_actions_addopen");
                    check(LibC.posix_spawn_file_actions_addopen(actions, 1, output.toString(),
                            LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, 0644), "posix_spawn_file_actions_addopen");
                    check(LibC.posix_spawn_file_actions_adddup2(actions, 1, 2), "posix_spawn_file_actions_adddup2");
                }
                // Java opens files without close-on-exec; don't leak pyspy's descriptors beyond 0-2.
                closeFromThree(actions);
                int rc = LibC.posix_spawnp(pidOut, argv.get(0), actions, attr, argvNative, envNative);
                if (rc != 0) {
                    throw new PyspyException(ExitCode.ERROR, "cannot run " + argv.get(0) + ": " + LibC.strerror(rc));
                }
            } finally {
                LibC.posix_spawn_file_actions_destroy(actions);
                LibC.posix_spawnattr_destroy(attr);
            }
            int pid = pidOut.getInt(0);
            LOG.debug("started {} as pid {}", argv.get(0), pid);
            return new ChildProcess(pid, held ? argv.subList(4, argv.size()) : argv);
        }
    }

    /** What posix_spawnp would say when it cannot run the program, said before the holding shell runs instead. */
    private static void requireRunnable(String program) throws PyspyException {
        List<Path> candidates = new ArrayList<>();
        if (program.contains("/")) {
            candidates.add(Path.of(program));
        } else {
            String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
            for (String dir : path.split(":")) {
                candidates.add(Path.of(dir.isEmpty() ? "." : dir, program));
            }
        }
        for (Path p : candidates) {
            if (java.nio.file.Files.isRegularFile(p) && java.nio.file.Files.isExecutable(p)) {
                return;
            }
        }
        boolean exists = candidates.stream().anyMatch(java.nio.file.Files::exists);
        throw new PyspyException(ExitCode.ERROR, "cannot run " + program + ": "
                + (exists ? "Permission denied" : "No such file or directory"));
    }

    private static void check(int rc, String what) throws PyspyException {
        if (rc != 0) {
            throw new PyspyException(ExitCode.ERROR, what + ": " + LibC.strerror(rc));
        }
    }

    private static void closeFromThree(Pointer actions) {
        // glibc 2.34+; looked up at run time so older glibc still works (descriptors then leak).
        try {
            Function f = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME)
                    .getFunction("posix_spawn_file_actions_addclosefrom_np");
            f.invokeInt(new Object[] {actions, 3});
        } catch (UnsatisfiedLinkError e) {
            LOG.debug("posix_spawn_file_actions_addclosefrom_np unavailable");
        }
    }

    private static int openPidfd(int pid) {
        try {
            return (int) LibC.syscall(LibC.SYS_pidfd_open, pid, 0);
        } catch (LastErrorException e) {
            return -1;
        }
    }

    public int pid() {
        return pid;
    }

    /** The command as started (including a setpriv prefix). */
    public List<String> command() {
        return command;
    }

    /** Whether the process has not exited yet. Never blocks; reaps the process if it has exited. */
    public synchronized boolean isAlive() {
        return tryReap() == null;
    }

    /**
     * Blocks until the process exits and returns its exit code, or 128 + the signal that killed it
     * (the shell convention); -1 if the status was lost.
     */
    public int waitForExit() throws InterruptedException {
        while (true) {
            synchronized (this) {
                Integer st = tryReap();
                if (st != null) {
                    return st == Integer.MIN_VALUE ? -1 : WaitStatus.shellExitCode(st);
                }
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            awaitExit(100);
        }
    }

    /** The exit code if the process has exited (see {@link #waitForExit()}), else empty. Never blocks. */
    public synchronized Optional<Integer> exitCode() {
        Integer st = tryReap();
        if (st == null) {
            return Optional.empty();
        }
        return Optional.of(st == Integer.MIN_VALUE ? -1 : WaitStatus.shellExitCode(st));
    }

    /** Sends a signal; returns false if the process was already reaped. */
    public synchronized boolean kill(int signal) {
        if (rawStatus != null || ExitStatuses.contains(pid)) {
            return false;
        }
        try {
            if (pidfd >= 0) {
                // Through the pidfd: cannot hit an unrelated process that reused the pid.
                LibC.syscall(LibC.SYS_pidfd_send_signal, pidfd, signal, 0, 0);
            } else {
                LibC.kill(pid, signal);
            }
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** Closes the pidfd; does not kill the process. */
    @Override
    public synchronized void close() {
        if (pidfd >= 0) {
            try {
                LibC.close(pidfd);
            } catch (LastErrorException e) {
                // nothing to do
            }
            pidfd = -1;
        }
    }

    /**
     * Returns the raw wait status once the process has exited (Integer.MIN_VALUE if it is lost),
     * null while it runs. Peeks with WNOWAIT first: a plain waitid on a traced child could consume
     * a ptrace stop meant for the tracer thread.
     */
    private Integer tryReap() {
        if (rawStatus != null) {
            return rawStatus;
        }
        Integer recorded = ExitStatuses.take(pid);
        if (recorded != null) {
            return rawStatus = recorded;
        }
        try (com.sun.jna.Memory info = new com.sun.jna.Memory(LibC.SIGINFO_SIZE)) {
            info.clear();
            try {
                LibC.waitid(LibC.P_PID, pid, info, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT);
            } catch (LastErrorException e) {
                return reapedElsewhere(e);
            }
            int code = info.getInt(SI_CODE);
            if (info.getInt(SI_PID) == 0 || !(code == LibC.CLD_EXITED || code == LibC.CLD_KILLED
                    || code == LibC.CLD_DUMPED)) {
                return null; // running, or a stop notification that is not ours to consume
            }
            info.clear();
            try {
                LibC.waitid(LibC.P_PID, pid, info, LibC.WEXITED | LibC.WNOHANG);
            } catch (LastErrorException e) {
                return reapedElsewhere(e);
            }
            code = info.getInt(SI_CODE);
            int value = info.getInt(SI_STATUS);
            rawStatus = code == LibC.CLD_EXITED ? WaitStatus.ofExit(value) : WaitStatus.ofSignal(value);
            close();
            return rawStatus;
        }
    }

    private Integer reapedElsewhere(LastErrorException e) {
        if (e.getErrorCode() != LibC.ECHILD) {
            throw new IllegalStateException("waitid(" + pid + "): " + LibC.strerror(e.getErrorCode()), e);
        }
        // The tracer reaped it and is about to record the status: give it a moment.
        for (int i = 0; i < 2000; i++) {
            Integer recorded = ExitStatuses.take(pid);
            if (recorded != null) {
                close();
                return rawStatus = recorded;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.warn("exit status of process {} was collected elsewhere", pid);
        close();
        return rawStatus = Integer.MIN_VALUE;
    }

    /** Waits up to {@code millis} for the pidfd to become readable (the process exited). */
    private void awaitExit(int millis) throws InterruptedException {
        int fd;
        synchronized (this) {
            fd = pidfd;
        }
        if (fd < 0) {
            Thread.sleep(10);
            return;
        }
        try (com.sun.jna.Memory pfd = new com.sun.jna.Memory(8)) {
            pfd.setInt(0, fd);
            pfd.setShort(4, LibC.POLLIN);
            pfd.setShort(6, (short) 0);
            int n;
            try {
                n = LibC.poll(pfd, 1, millis);
            } catch (LastErrorException e) {
                n = -1;
            }
            if (n != 0) {
                // Exited (or poll failed): the status may still be on its way to a tracer; don't spin.
                Thread.sleep(1);
            }
        }
    }

    @Override
    public String toString() {
        return "ChildProcess[pid=" + pid + ", " + String.join(" ", command) + "]";
    }
}
