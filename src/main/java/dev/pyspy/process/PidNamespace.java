package dev.pyspy.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/**
 * Thread ids of a process in its own PID namespace (a container): the interpreter records the tids
 * it sees ({@code threading.get_native_id()}, glibc's {@code struct pthread}), which are not the ids
 * pyspy sees in {@code /proc}. The {@code NSpid:} line of {@code /proc/PID/task/TID/status} lists a
 * thread's id in each namespace from ours inwards; the last is the one the target knows.
 */
public final class PidNamespace {
    private PidNamespace() {
    }

    /** True when {@code pid} lives in a PID namespace below the one of our {@code /proc}. */
    public static boolean isNested(int pid) {
        long[] ids = nsPids(ProcFs.procPath(pid, "status").toString());
        return ids != null && ids.length > 1;
    }

    /**
     * For a process in a nested PID namespace: the tid each thread has inside it → its tid here.
     * Null when the process is in our namespace (the ids are the same). Threads that exit during
     * the scan are left out.
     */
    public static Map<Long, Long> hostTids(int pid) {
        if (!isNested(pid)) {
            return null;
        }
        Map<Long, Long> out = new HashMap<>();
        int[] tids;
        try {
            tids = ProcFs.threadIds(pid);
        } catch (dev.pyspy.PyspyException e) {
            return out;
        }
        for (int tid : tids) {
            long[] ids = nsPids(ProcFs.procPath(pid, "task", Integer.toString(tid), "status").toString());
            if (ids != null && ids.length > 0) {
                out.put(ids[ids.length - 1], (long) tid);
            }
        }
        return out;
    }

    /** The numbers of the {@code NSpid:} line of a status file, or null if it cannot be read. */
    static long[] nsPids(String statusFile) {
        String status;
        try {
            status = new String(Files.readAllBytes(java.nio.file.Path.of(statusFile)), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
        return parseNsPid(status);
    }

    /** The numbers of the {@code NSpid:} line of status text, or null without one (kernels before 4.1). */
    static long[] parseNsPid(String status) {
        int at = status.startsWith("NSpid:") ? 0 : status.indexOf("\nNSpid:") + 1;
        if (at < 0 || !status.startsWith("NSpid:", at)) {
            return null;
        }
        int end = status.indexOf('\n', at);
        String[] fields = status.substring(at + "NSpid:".length(), end < 0 ? status.length() : end).trim().split("\\s+");
        long[] ids = new long[fields.length];
        try {
            for (int i = 0; i < fields.length; i++) {
                ids[i] = Long.parseLong(fields[i]);
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return ids;
    }
}
