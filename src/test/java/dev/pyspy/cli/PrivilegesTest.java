package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Collapsed;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.process.LibC;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetHealth;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Privileges: a program pyspy launches under sudo runs as the user who invoked sudo, not as root;
 * and pyspy never writes into a target's memory — no code path that could (checked in the sources
 * and the native bindings), and a stopped target's memory is byte-for-byte the same after every
 * kind of pyspy run. (Running without ptrace permission: {@link AttachErrorsTest}.)
 */
@Timeout(300)
@NeedsRoot
class PrivilegesTest {
    /** ptrace requests pyspy may make: none of them changes the tracee's memory or registers. */
    private static final Set<String> ALLOWED_PTRACE = Set.of("PTRACE_SEIZE", "PTRACE_INTERRUPT", "PTRACE_DETACH",
            "PTRACE_GETREGS", // --native reads a stopped thread's registers; SETREGS stays forbidden below
            // a launched program stepped through its start-up (SyscallStepper): restarted to its next
            // system call, and told which call it stopped at (read into pyspy's own buffer)
            "PTRACE_SYSCALL", "PTRACE_GET_SYSCALL_INFO");
    /** Request numbers that write: POKETEXT/DATA/USER, SETREGS, SETFPREGS, SETSIGINFO, SETREGSET, POKEUSR. */
    private static final Set<Long> WRITING_PTRACE = Set.of(4L, 5L, 6L, 13L, 15L, 0x4203L, 0x4205L);
    /** Every native function pyspy binds; adding one (process_vm_writev, pwrite, ...) must be a decision. */
    private static final Set<String> ALLOWED_NATIVE = Set.of("process_vm_readv", "ptrace", "waitpid", "waitid", "kill",
            "getuid", "geteuid", "getpid", "gettid", "prctl", "close", "poll", "syscall", "posix_spawnp", "posix_spawnattr_init",
            "posix_spawnattr_destroy", "posix_spawnattr_setflags", "posix_spawnattr_setsigmask",
            "posix_spawn_file_actions_init", "posix_spawn_file_actions_destroy", "posix_spawn_file_actions_addopen",
            "posix_spawn_file_actions_adddup2", "sigemptyset", "strerror", "getppid", "isatty", "ioctl",
            // pyspy's own signal dispositions (StopSignals), never the target's
            "sigaction", "signal",
            // /proc thread files read through pyspy's own descriptors (TaskFileReader); pwrite stays forbidden
            "openat", "pread",
            // a netlink socket of pyspy's own asking taskstats for the target's switch-in total (GroupSwitchCount):
            // the kernel's counters, read; nothing reaches the target
            "socket", "send", "recv",
            // the process events connector (ProcEvents, -s): pyspy's own netlink socket bound to the kernel's
            // multicast group of fork/exec/exit notices, and its receive buffer sized; read only
            "bind", "setsockopt",
            // pyspy's own process watcher thread given a higher priority (-s as root); never another process's
            "setpriority");

    @Test
    void aProgramLaunchedUnderSudoRunsAsTheUserWhoInvokedSudo() throws Exception {
        assumeTrue(LibC.geteuid() == 0, "needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) not installed");
        Path python = Interpreters.python3AnyUserMayRun().path();
        Path dir = Files.createTempDirectory("pyspy-sudo");
        Path out = dir.resolve("sudo.txt");
        String program = "import os, time\n"
                + "print('ids', os.getuid(), os.geteuid(), os.getgid(), os.getegid(), sorted(os.getgroups()), flush=True)\n"
                + "t = time.time()\n"
                + "while time.time() < t + 1.5: pass\n";
        Map<String, String> sudo = new LinkedHashMap<>();
        sudo.put("SUDO_UID", "65534");
        sudo.put("SUDO_GID", "65534");
        sudo.put("SUDO_USER", "nobody");
        PyspyCli.Result r = PyspyCli.run(List.of(), sudo, 60, "record", "-f", "raw", "-o", out.toString(), "--",
                python.toString(), "-c", program);
        assertEquals(0, r.exitCode(), r.toString());
        Matcher m = Pattern.compile("ids (\\d+) (\\d+) (\\d+) (\\d+) \\[(.*)]").matcher(r.stdout());
        assertTrue(m.find(), r.stdout());
        assertEquals("65534 65534 65534 65534", m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4),
                "real and effective uid and gid are the invoking user's");
        assertFalse(List.of(m.group(5).split(",\\s*")).contains("0"), "not in root's group: " + m.group(5));
        assertTrue(Collapsed.samplesContaining(Collapsed.read(out), "<module>") > 20,
                "the program was profiled: " + Files.readString(out));

        // without sudo's variables (or with SUDO_UID=0) the program runs as pyspy does
        PyspyCli.Result root = PyspyCli.run(List.of(), Map.of("SUDO_UID", "0", "SUDO_GID", "0"), 60, "record", "-f", "raw",
                "-o", out.toString(), "--", python.toString(), "-c", program);
        assertEquals(0, root.exitCode(), root.toString());
        assertTrue(root.stdout().contains("ids 0 0 0 0"), root.stdout());
    }

    @Test
    void noCodePathCanWriteToATargetsMemory() throws Exception {
        Path sources = Path.of("src/main/java");
        assumeTrue(Files.isDirectory(sources), "sources not found from " + Path.of("").toAbsolutePath());
        Pattern forbidden = Pattern.compile("process_vm_writev|PTRACE_POKE|PTRACE_SET(REGS|FPREGS|REGSET|SIGINFO)"
                + "|\\bpwrite|/mem\"|PTRACE_O_EXITKILL|PTRACE_SETOPTIONS");
        Pattern ptraceCall = Pattern.compile("LibC\\.ptrace\\(\\s*([^,]+),");
        Pattern syscallCall = Pattern.compile("LibC\\.syscall\\(\\s*([^,]+),");
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                // code only: comments may name what is never used
                String text = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
                boolean isLibC = f.getFileName().toString().equals("LibC.java");
                Matcher m = forbidden.matcher(text);
                while (!isLibC && m.find()) {
                    problems.add(f + ": uses " + m.group());
                }
                m = ptraceCall.matcher(text);
                while (m.find()) {
                    String request = m.group(1).trim().replace("LibC.", "");
                    if (!ALLOWED_PTRACE.contains(request)) {
                        problems.add(f + ": ptrace request " + request);
                    }
                }
                m = syscallCall.matcher(text);
                while (m.find()) {
                    String call = m.group(1).trim().replace("LibC.", "");
                    if (!call.equals("SYS_pidfd_open") && !call.equals("SYS_pidfd_send_signal")) {
                        problems.add(f + ": raw system call " + call);
                    }
                }
            }
        }
        for (Field field : LibC.class.getDeclaredFields()) {
            if (field.getName().startsWith("PTRACE_") && !field.getName().startsWith("PTRACE_EVENT_")
                    && !field.getName().startsWith("PTRACE_O_") && Modifier.isStatic(field.getModifiers())
                    && field.getType() == long.class && WRITING_PTRACE.contains(field.getLong(null))) {
                problems.add("LibC defines a writing ptrace request: " + field.getName());
            }
        }
        for (Method method : LibC.class.getDeclaredMethods()) {
            if (Modifier.isNative(method.getModifiers()) && !ALLOWED_NATIVE.contains(method.getName())) {
                problems.add("LibC binds a new native function: " + method.getName());
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void aTargetsMemoryIsTheSameAfterEveryKindOfRun() throws Exception {
        Path scripts = TargetProcess.scripts("progress_target.py");
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("progress_target.py"), "4")) {
            target.truth(30);
            int pid = target.pid();
            String p = Integer.toString(pid);
            // stopped by SIGSTOP, the target cannot change its own memory; only pyspy could
            PyspyCli.signal(pid, "STOP");
            try {
                awaitState(pid, 'T');
                Map<String, String> before = checksums(pid);
                assertTrue(before.size() > 10, "mappings checksummed: " + before.keySet());
                String[][] runs = {{"dump", "-p", p}, {"dump", "--nonblocking", "-p", p}, {"dump", "-ll", "-p", p},
                        {"dump", "--json", "-p", p},
                        {"record", "-d", "1", "-r", "500", "-o", scripts.resolve("w1.svg").toString(), "-p", p},
                        {"record", "--nonblocking", "-i", "-d", "1", "-o", scripts.resolve("w2.svg").toString(), "-p", p}};
                for (String[] args : runs) {
                    PyspyCli.Result r = PyspyCli.run(args);
                    assertEquals(0, r.exitCode(), String.join(" ", args) + "\n" + r);
                }
                assertEquals('T', TargetProcess.state(pid), "still stopped for its own reasons");
                Map<String, String> after = checksums(pid);
                List<String> changed = new ArrayList<>();
                before.forEach((k, v) -> {
                    if (!v.equals(after.get(k))) {
                        changed.add(k);
                    }
                });
                assertTrue(changed.isEmpty(), "memory of the target changed in " + changed);
            } finally {
                PyspyCli.signal(pid, "CONT");
            }
            TargetHealth.assertEveryThreadProgresses(pid, target.truthPath());
        }
    }

    private static void awaitState(int pid, char state) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (TargetProcess.state(pid) != state && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(state, TargetProcess.state(pid));
    }

    /**
     * SHA-256 of every readable mapping of {@code pid} (up to 256 MiB each) read through
     * /proc/PID/mem, by "start-end perms path"; the kernel's own pages ([vvar], [vdso], [vsyscall])
     * are left out (the kernel updates them).
     */
    private static Map<String, String> checksums(int pid) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> maps = Files.readAllLines(Path.of("/proc", Integer.toString(pid), "maps"));
        try (RandomAccessFile mem = new RandomAccessFile("/proc/" + pid + "/mem", "r")) {
            byte[] buf = new byte[1 << 16];
            for (String line : maps) {
                String[] f = line.trim().split("\\s+", 6);
                String path = f.length > 5 ? f[5] : "";
                if (f[1].charAt(0) != 'r' || path.startsWith("[v")) {
                    continue;
                }
                String[] range = f[0].split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long end = Long.parseUnsignedLong(range[1], 16);
                if (end - start > 256L << 20) {
                    continue;
                }
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try {
                    for (long at = start; at < end; at += buf.length) {
                        int n = (int) Math.min(buf.length, end - at);
                        mem.seek(at);
                        mem.readFully(buf, 0, n);
                        sha.update(buf, 0, n);
                    }
                } catch (IOException e) {
                    continue; // not readable after all (guard pages and the like)
                }
                out.put(f[0] + " " + f[1] + " " + path, HexFormat.of().formatHex(sha.digest()));
            }
        }
        return out;
    }
}
