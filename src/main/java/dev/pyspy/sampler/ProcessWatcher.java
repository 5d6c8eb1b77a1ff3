package dev.pyspy.sampler;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.python.PythonProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * For {@code --subprocesses}: finds descendants of the root process (multiprocessing workers,
 * subprocesses) as they appear and attaches to the Python ones, off the sampler thread so that
 * parsing their binaries never delays a sample.
 */
final class ProcessWatcher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ProcessWatcher.class);
    private static final long SCAN_INTERVAL_MILLIS = 200;
    /** A freshly started process may not have initialised its interpreter yet. */
    private static final int ATTACH_ATTEMPTS = 25;

    private final int rootPid;
    private final Queue<PythonProcess> found = new ConcurrentLinkedQueue<>();
    private final Set<Integer> known = new HashSet<>();
    private final Map<Integer, Integer> attempts = new HashMap<>();
    private volatile boolean stopped;

    ProcessWatcher(int rootPid, List<Integer> alreadyAttached) {
        this.rootPid = rootPid;
        known.addAll(alreadyAttached);
    }

    Queue<PythonProcess> found() {
        return found;
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        while (!stopped) {
            for (int pid : descendants(rootPid)) {
                if (known.contains(pid)) {
                    continue;
                }
                try {
                    found.add(PythonProcess.attach(pid));
                    known.add(pid);
                } catch (PyspyException e) {
                    int n = attempts.merge(pid, 1, Integer::sum);
                    if (n >= ATTACH_ATTEMPTS || e.exitCode() == ExitCode.UNSUPPORTED_VERSION
                            || e.exitCode() == ExitCode.NO_SUCH_PROCESS) {
                        log.debug("not following process {}: {}", pid, e.getMessage());
                        known.add(pid);
                    }
                }
            }
            try {
                Thread.sleep(SCAN_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** All living descendants of {@code root}, from the parent ids in /proc/PID/stat. */
    static Set<Integer> descendants(int root) {
        Map<Integer, List<Integer>> children = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
                    if (after[0].equals("Z")) {
                        continue;
                    }
                    int pid = Integer.parseInt(p.getFileName().toString());
                    children.computeIfAbsent(Integer.parseInt(after[1]), k -> new java.util.ArrayList<>()).add(pid);
                } catch (IOException | RuntimeException e) {
                    // the process exited while we looked
                }
            }
        } catch (IOException e) {
            return Set.of();
        }
        Set<Integer> out = new HashSet<>();
        Queue<Integer> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            for (int child : children.getOrDefault(todo.remove(), List.of())) {
                if (out.add(child)) {
                    todo.add(child);
                }
            }
        }
        return out;
    }
}
