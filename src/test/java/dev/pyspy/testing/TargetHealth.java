package dev.pyspy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that a target runs: no thread in a stopped state ({@code t} traced-stop, {@code T} stopped)
 * and, for {@code progress_target.py}, that every thread's counter keeps growing.
 */
public final class TargetHealth {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TargetHealth() {
    }

    /** Threads of {@code pid} whose state is t or T now, as "tid:state"; empty when none (or it is gone). */
    public static List<String> stoppedThreads(long pid) {
        List<String> stopped = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    if (state == 't' || state == 'T') {
                        stopped.add(task.getFileName() + ":" + state);
                    }
                } catch (IOException e) {
                    // the thread exited
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return stopped;
    }

    /**
     * Fails unless every counter that {@code progress_target.py} publishes next to {@code truth}
     * (each worker's and the main thread's) grows within 20 seconds (threads compete for the GIL
     * on a busy machine, so a slow one is waited for), and no thread of {@code pid} is ever seen
     * stopped meanwhile (checked every 50 ms, and for at least half a second).
     */
    public static void assertEveryThreadProgresses(long pid, Path truth) throws IOException, InterruptedException {
        Path progress = truth.resolveSibling(truth.getFileName() + ".progress");
        JsonNode before = JSON.readTree(progress.toFile());
        long start = System.nanoTime();
        long deadline = start + 20_000_000_000L;
        JsonNode after = before;
        while (true) {
            List<String> stopped = stoppedThreads(pid);
            if (!stopped.isEmpty()) {
                throw new AssertionError("threads of " + pid + " stopped: " + stopped);
            }
            Thread.sleep(50);
            try {
                after = JSON.readTree(progress.toFile());
            } catch (IOException e) {
                continue; // being replaced: read it next time
            }
            List<Integer> stuck = stuck(before, after);
            if (stuck.isEmpty() && System.nanoTime() - start > 500_000_000L) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("threads " + stuck + " of " + pid + " (-1: main) made no progress in 20 s: "
                        + before + " -> " + after);
            }
        }
    }

    /** Indexes of workers whose counter did not grow, and -1 for the main thread. */
    private static List<Integer> stuck(JsonNode before, JsonNode after) {
        List<Integer> stuck = new ArrayList<>();
        if (after.get("main").asLong() <= before.get("main").asLong()) {
            stuck.add(-1);
        }
        JsonNode a = before.get("counters");
        JsonNode b = after.get("counters");
        for (int i = 0; i < a.size(); i++) {
            if (b.get(i).asLong() <= a.get(i).asLong()) {
                stuck.add(i);
            }
        }
        return stuck;
    }
}
