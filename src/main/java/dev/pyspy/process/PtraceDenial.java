package dev.pyspy.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Says why the kernel refused to let pyspy read or trace a process, and what would change that. Root is
 * refused too, and "run as root" is then no help: root without CAP_SYS_PTRACE may only read processes
 * whose capabilities are a subset of its own, Yama's {@code ptrace_scope=3} refuses everyone, and a
 * security module (SELinux, AppArmor) or a user namespace pyspy is not in may refuse root as well.
 */
public final class PtraceDenial {
    private static final int CAP_SYS_PTRACE = 19;
    private static final Path YAMA_SCOPE = Path.of("/proc/sys/kernel/yama/ptrace_scope");

    private PtraceDenial() {
    }

    /** What to do about a refusal to read or trace {@code pid}, as the end of a one-line message. */
    public static String advice(int pid) {
        String scope = yamaScope();
        if (LibC.geteuid() != 0) {
            return "run pyspy as root (sudo), or grant it CAP_SYS_PTRACE (e.g. docker run --cap-add SYS_PTRACE), or allow"
                    + " tracing of non-child processes with 'sysctl kernel.yama.ptrace_scope=0'"
                    + (scope == null ? "" : " (currently " + scope + ")");
        }
        if ("3".equals(scope)) {
            return "kernel.yama.ptrace_scope is 3: no process may trace another, not even as root, until a reboot";
        }
        OptionalLong own = capabilities("self", "CapEff");
        if (own.isPresent() && (own.getAsLong() & (1L << CAP_SYS_PTRACE)) == 0) {
            OptionalLong target = capabilities(Integer.toString(pid), "CapPrm");
            String why = target.isPresent() && (target.getAsLong() & ~own.getAsLong()) != 0
                    ? " and process " + pid + " holds capabilities it lacks" : "";
            return "pyspy runs as root but without CAP_SYS_PTRACE" + why + ": grant it (e.g. docker run --cap-add"
                    + " SYS_PTRACE)" + ("2".equals(scope) ? ", which kernel.yama.ptrace_scope=2 requires" : "");
        }
        return "refused even to root with CAP_SYS_PTRACE: a security module (SELinux, AppArmor) forbids it, or process "
                + pid + " is in a user namespace pyspy's is not a parent of (run pyspy inside the process's container)";
    }

    private static String yamaScope() {
        try {
            return Files.readString(YAMA_SCOPE).strip();
        } catch (IOException e) {
            return null; // no Yama security module
        }
    }

    /** A capability set ({@code CapEff}, {@code CapPrm}, ...) from /proc/PID/status. */
    private static OptionalLong capabilities(String pid, String set) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                if (line.startsWith(set + ":")) {
                    return OptionalLong.of(Long.parseUnsignedLong(line.substring(set.length() + 1).strip(), 16));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process is gone or the line unreadable: nothing to compare
        }
        return OptionalLong.empty();
    }
}
