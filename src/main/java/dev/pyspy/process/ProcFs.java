package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Facts about a process from {@code /proc}: command line, executable, threads and their states,
 * owner, and paths under which the files it uses can be opened from pyspy's own mount namespace.
 */
public final class ProcFs {

    private static final Path PROC = Paths.get("/proc");
    /** {@code flags} bit of a kernel thread (include/linux/sched.h). */
    private static final long PF_KTHREAD = 0x00200000L;

    private ProcFs() {}

    /** {@code /proc/PID/<more...>}. */
    public static Path procPath(int pid, String... more) {
        Path p = PROC.resolve(Integer.toString(pid));
        for (String m : more) {
            p = p.resolve(m);
        }
        return p;
    }

    /**
     * Reads a /proc file kept open again from its start (one pread: the kernel makes its text anew)
     * into {@code buf}, ready to read; returns the byte count, or -1 when it cannot be read (the
     * thread or process is gone).
     */
    public static int reread(FileChannel ch, ByteBuffer buf) {
        try {
            buf.clear();
            int n = ch.read(buf, 0);
            buf.flip();
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Closes a /proc file kept open; a failure changes nothing (the file is gone either way). */
    public static void closeQuietly(FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Whether a process (or thread) with this id exists, zombies included. */
    public static boolean exists(int pid) {
        return pid > 0 && Files.isDirectory(procPath(pid));
    }

    /** Throws {@link ExitCode#NO_SUCH_PROCESS} unless the process exists. */
    public static void requireExists(int pid) throws PyspyException {
        if (!exists(pid)) {
            throw noSuchProcess(pid);
        }
    }

    static PyspyException noSuchProcess(int pid) {
        return new PyspyException(ExitCode.NO_SUCH_PROCESS, "no process with pid " + pid);
    }

    /**
     * Maps an I/O error on {@code /proc/PID/<what>} to a user-facing error: a vanished process is
     * NO_SUCH_PROCESS (files of a process that is exiting also fail with ESRCH), a refusal is
     * PERMISSION_DENIED.
     */
    static PyspyException translate(int pid, String what, IOException e) {
        if (!exists(pid)) {
            return noSuchProcess(pid);
        }
        if (e instanceof AccessDeniedException) {
            return new PyspyException(ExitCode.PERMISSION_DENIED,
                    "permission denied reading /proc/" + pid + "/" + what + "; " + PtraceDenial.advice(pid), e);
        }
        if (e instanceof NoSuchFileException && isKernelThread(pid)) {
            return new PyspyException(ExitCode.NOT_PYTHON, "process " + pid + " is a kernel thread, not a Python process", e);
        }
        if (e instanceof NoSuchFileException) {
            return new PyspyException(ExitCode.NO_SUCH_PROCESS,
                    "process " + pid + " has no /proc/" + pid + "/" + what + " (it may be exiting)", e);
        }
        return new PyspyException(ExitCode.ERROR, "cannot read /proc/" + pid + "/" + what + ": " + e.getMessage(), e);
    }

    private static byte[] readProcFile(int pid, String... more) throws PyspyException {
        try {
            return Files.readAllBytes(procPath(pid, more));
        } catch (IOException e) {
            throw translate(pid, String.join("/", more), e);
        }
    }

    /** The arguments the process was started with ({@code argv}); empty for zombies and kernel threads. */
    public static List<String> cmdline(int pid) throws PyspyException {
        return parseCmdline(readProcFile(pid, "cmdline"));
    }

    /** Splits NUL-separated arguments; a trailing NUL does not make an extra empty argument. */
    public static List<String> parseCmdline(byte[] bytes) {
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                args.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < bytes.length) {
            // A process that rewrote its argv may leave no terminator.
            args.add(new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8));
        }
        return args;
    }

    /** The command line for display: arguments joined by single spaces. */
    public static String commandLine(int pid) throws PyspyException {
        return String.join(" ", cmdline(pid));
    }

    /**
     * The executable's path as the process sees it (target of {@code /proc/PID/exe}); ends in
     * {@code " (deleted)"} if the file was removed or replaced since the process started.
     */
    public static String exePath(int pid) throws PyspyException {
        try {
            return Files.readSymbolicLink(procPath(pid, "exe")).toString();
        } catch (IOException e) {
            throw translate(pid, "exe", e);
        }
    }

    /**
     * A path from which pyspy can open the executable: its path inside the process's root
     * (containers, chroots), or {@code /proc/PID/exe} itself when it was deleted or is not reachable.
     */
    public static Path executableFile(int pid) throws PyspyException {
        String exe = exePath(pid);
        if (!exe.endsWith(MemoryMapping.DELETED_SUFFIX)) {
            Path inRoot = rootPath(pid, exe);
            if (Files.isRegularFile(inRoot)) {
                return inRoot;
            }
        }
        return procPath(pid, "exe");
    }

    /** {@code /proc/PID/root/<path>}: the file as seen from the process's root directory. */
    public static Path rootPath(int pid, String pathInsideProcess) {
        String relative = pathInsideProcess;
        while (relative.startsWith("/")) {
            relative = relative.substring(1);
        }
        return procPath(pid, "root").resolve(relative);
    }

    /**
     * A path from which the file behind a mapping can be opened: the file inside the process's root
     * if it still is the mapped file (same inode), else {@code /proc/PID/exe} if it is the
     * executable, else {@code /proc/PID/map_files/START-END} (needs root or CAP_SYS_ADMIN).
     */
    public static Path openableFile(int pid, MemoryMapping mapping) throws PyspyException {
        if (!mapping.isFile()) {
            throw new PyspyException(ExitCode.ERROR, "mapping " + mapping + " is not backed by a file");
        }
        if (!mapping.deleted()) {
            Path inRoot = rootPath(pid, mapping.path());
            if (sameInode(inRoot, mapping.inode())) {
                return inRoot;
            }
        }
        try {
            String exe = exePath(pid);
            String exeClean = exe.endsWith(MemoryMapping.DELETED_SUFFIX)
                    ? exe.substring(0, exe.length() - MemoryMapping.DELETED_SUFFIX.length()) : exe;
            Path exeLink = procPath(pid, "exe");
            if (exeClean.equals(mapping.path()) && sameInode(exeLink, mapping.inode())) {
                return exeLink;
            }
        } catch (PyspyException e) {
            // Kernel threads and zombies have no exe; fall through to map_files.
        }
        Path mapFile = procPath(pid, "map_files", mapping.rangeName());
        if (Files.isReadable(mapFile)) {
            return mapFile;
        }
        if (!exists(pid)) {
            throw noSuchProcess(pid);
        }
        throw new PyspyException(ExitCode.ERROR, "cannot open " + mapping.pathname() + " mapped by process " + pid
                + ": it is not reachable through /proc/" + pid + "/root and /proc/" + pid + "/map_files");
    }

    private static boolean sameInode(Path p, long inode) {
        try {
            if (!Files.isRegularFile(p)) {
                return false;
            }
            if (inode == 0) {
                return true;
            }
            Object ino = Files.getAttribute(p, "unix:ino");
            return ino instanceof Long l && l == inode;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Ids of the threads of a process, ascending (the main thread's id equals the pid). */
    public static int[] threadIds(int pid) throws PyspyException {
        String[] names = procPath(pid, "task").toFile().list();
        if (names == null) {
            if (!exists(pid)) {
                throw noSuchProcess(pid);
            }
            throw new PyspyException(ExitCode.PERMISSION_DENIED, "cannot list /proc/" + pid + "/task");
        }
        int[] tids = new int[names.length];
        int n = 0;
        for (String name : names) {
            int tid = parsePositiveInt(name);
            if (tid > 0) {
                tids[n++] = tid;
            }
        }
        int[] result = Arrays.copyOf(tids, n);
        Arrays.sort(result);
        return result;
    }

    private static int parsePositiveInt(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v > Integer.MAX_VALUE ? -1 : (int) v;
    }

    /**
     * The scheduler state letter of one thread ({@code R S D T t Z X I ...}) from
     * {@code /proc/PID/task/TID/stat}; {@code t} means stopped by a tracer, {@code T} by a signal.
     */
    public static char threadState(int pid, int tid) throws PyspyException {
        byte[] stat;
        try {
            stat = Files.readAllBytes(procPath(pid, "task", Integer.toString(tid), "stat"));
        } catch (IOException e) {
            if (!exists(pid)) {
                throw noSuchProcess(pid);
            }
            throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "no thread " + tid + " in process " + pid, e);
        }
        return parseStatState(new String(stat, StandardCharsets.ISO_8859_1));
    }

    /** States of all threads that exist right now; threads that exit during the scan are left out. */
    public static Map<Integer, Character> threadStates(int pid) throws PyspyException {
        Map<Integer, Character> states = new LinkedHashMap<>();
        for (int tid : threadIds(pid)) {
            try {
                byte[] stat = Files.readAllBytes(procPath(pid, "task", Integer.toString(tid), "stat"));
                states.put(tid, parseStatState(new String(stat, StandardCharsets.ISO_8859_1)));
            } catch (IOException | PyspyException e) {
                // exited meanwhile
            }
        }
        if (states.isEmpty() && !exists(pid)) {
            throw noSuchProcess(pid);
        }
        return states;
    }

    /**
     * Whether {@code pid} is a kernel thread (PF_KTHREAD in its stat flags): it has no executable, no
     * memory of its own and no command line, so nothing there is Python.
     */
    public static boolean isKernelThread(int pid) {
        try {
            String[] f = statFieldsAfterComm(new String(Files.readAllBytes(procPath(pid, "stat")), StandardCharsets.ISO_8859_1));
            return f.length > 6 && (Long.parseLong(f[6]) & PF_KTHREAD) != 0;
        } catch (IOException | PyspyException | NumberFormatException e) {
            return false; // gone or unreadable: the caller's own error stands
        }
    }

    /** The process's own state letter (from {@code /proc/PID/stat}). */
    public static char processState(int pid) throws PyspyException {
        return parseStatState(new String(readProcFile(pid, "stat"), StandardCharsets.ISO_8859_1));
    }

    /** Whether the process has exited but was not yet reaped by its parent. */
    public static boolean isZombie(int pid) throws PyspyException {
        char s = processState(pid);
        return s == 'Z' || s == 'X';
    }

    /**
     * The state letter from a stat line {@code pid (comm) S ...}. The command name may contain
     * spaces and parentheses, so the state follows the <em>last</em> {@code ')'}.
     */
    public static char parseStatState(String stat) throws PyspyException {
        String[] fields = statFieldsAfterComm(stat);
        if (fields.length == 0 || fields[0].length() != 1) {
            throw new PyspyException(ExitCode.ERROR, "unexpected stat line: " + abbreviate(stat));
        }
        return fields[0].charAt(0);
    }

    /**
     * The space-separated fields after the command name; index 0 is the state (field 3 in proc(5)),
     * index 11 utime, index 12 stime.
     */
    public static String[] statFieldsAfterComm(String stat) throws PyspyException {
        int close = stat.lastIndexOf(')');
        if (close < 0 || stat.indexOf('(') < 0 || close + 2 > stat.length()) {
            throw new PyspyException(ExitCode.ERROR, "unexpected stat line: " + abbreviate(stat));
        }
        String rest = stat.substring(close + 1).trim();
        return rest.isEmpty() ? new String[0] : rest.split(" +");
    }

    /** User plus system CPU time of the whole process, in clock ticks (USER_HZ, normally 100 per second). */
    public static long cpuTicks(int pid) throws PyspyException {
        String[] f = statFieldsAfterComm(new String(readProcFile(pid, "stat"), StandardCharsets.ISO_8859_1));
        try {
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (RuntimeException e) {
            throw new PyspyException(ExitCode.ERROR, "unexpected /proc/" + pid + "/stat");
        }
    }

    /** The real user id owning the process (first value of {@code Uid:} in status). */
    public static int uid(int pid) throws PyspyException {
        return (int) statusNumber(pid, "Uid:");
    }

    /**
     * The id of the <em>thread</em> tracing the main thread, 0 if none (ptrace tracers are threads;
     * see {@link #threadGroupId(int)} for its process).
     */
    public static int tracerPid(int pid) throws PyspyException {
        return (int) statusNumber(pid, "TracerPid:");
    }

    /** The process (thread group) a thread id belongs to; the id itself if it cannot be read. */
    public static int threadGroupId(int tid) {
        try {
            return (int) statusValue(new String(Files.readAllBytes(procPath(tid, "status")), StandardCharsets.UTF_8),
                    "Tgid:");
        } catch (IOException | PyspyException e) {
            return tid;
        }
    }

    /** The id of the thread tracing one thread, 0 if none or if the thread is gone. */
    public static int threadTracerPid(int pid, int tid) {
        try {
            String text = new String(Files.readAllBytes(procPath(pid, "task", Integer.toString(tid), "status")),
                    StandardCharsets.UTF_8);
            return (int) statusValue(text, "TracerPid:");
        } catch (IOException | PyspyException e) {
            return 0;
        }
    }

    private static long statusNumber(int pid, String key) throws PyspyException {
        return statusValue(new String(readProcFile(pid, "status"), StandardCharsets.UTF_8), key);
    }

    /** First number after {@code key} at the start of a line of a status file. */
    static long statusValue(String status, String key) throws PyspyException {
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                String[] parts = line.substring(key.length()).trim().split("\\s+");
                try {
                    return Long.parseLong(parts[0]);
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw new PyspyException(ExitCode.ERROR, "no " + key + " in status file");
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s.strip();
    }
}
