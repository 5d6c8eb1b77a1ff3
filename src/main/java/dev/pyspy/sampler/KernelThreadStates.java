package dev.pyspy.sampler;

import dev.pyspy.process.ProcFs;
import dev.pyspy.util.LongIntMap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The kernel's run state of each thread of one process, read every sample with one pread per thread
 * on {@code /proc/PID/task/TID/stat} files kept open (opening them per sample would triple the cost).
 * Must be read before the process is paused: a paused thread shows 't'.
 */
final class KernelThreadStates implements AutoCloseable {
    private final int pid;
    private final Map<Long, FileChannel> files = new HashMap<>();
    private final LongIntMap states = new LongIntMap(64);
    private final ByteBuffer buf = ByteBuffer.allocate(1024);
    private long generation;

    KernelThreadStates(int pid) {
        this.pid = pid;
    }

    /** Re-lists the process's threads: call when the set of Python threads changed. */
    void refreshTasks() {
        Set<Long> current = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Integer.toString(pid), "task"))) {
            for (Path task : tasks) {
                long tid = Long.parseLong(task.getFileName().toString());
                current.add(tid);
                if (!files.containsKey(tid)) {
                    try {
                        files.put(tid, FileChannel.open(task.resolve("stat"), StandardOpenOption.READ));
                    } catch (IOException e) {
                        // the thread exited meanwhile
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process is gone: every state becomes unknown
        }
        for (Iterator<Map.Entry<Long, FileChannel>> it = files.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, FileChannel> e = it.next();
            if (!current.contains(e.getKey())) {
                ProcFs.closeQuietly(e.getValue());
                it.remove();
            }
        }
    }

    /** Reads every known thread's state now. */
    void read() {
        generation++;
        for (Iterator<Map.Entry<Long, FileChannel>> it = files.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, FileChannel> e = it.next();
            char state = readState(e.getValue());
            if (state == 0) {
                ProcFs.closeQuietly(e.getValue());
                it.remove();
            } else {
                states.put(e.getKey(), (int) ((generation << 8) | state));
            }
        }
    }

    /** The state read by the last {@link #read()}, 0 when unknown. */
    char state(long tid) {
        int v = states.get(tid, 0);
        return (v >>> 8) == (int) (generation & 0xffffff) ? (char) (v & 0xff) : 0;
    }

    private char readState(FileChannel ch) {
        int n = ProcFs.reread(ch, buf);
        // "pid (comm) S ...": comm may hold spaces and parentheses, so look for the last ')'
        for (int i = n - 1; i > 0; i--) {
            if (buf.get(i) == ')' && i + 2 < n) {
                return (char) buf.get(i + 2);
            }
        }
        return 0;
    }

    @Override
    public void close() {
        files.values().forEach(ProcFs::closeQuietly);
        files.clear();
    }
}
