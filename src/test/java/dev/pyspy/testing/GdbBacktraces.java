package dev.pyspy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** gdb's own backtraces of a live process ({@code thread apply all bt}): the oracle for native stacks. */
public final class GdbBacktraces {
    private static final Pattern THREAD = Pattern.compile("^Thread \\d+ \\(.*LWP (\\d+)\\).*");

    private GdbBacktraces() {
    }

    /** The frame lines ({@code #N ...}) of every thread, by thread id, innermost first. */
    public static Map<Integer, List<String>> frameLines(int pid) throws IOException, InterruptedException {
        Process gdb = new ProcessBuilder("gdb", "-p", Integer.toString(pid), "-batch", "-ex", "thread apply all bt")
                .redirectErrorStream(true).start();
        String text = new String(gdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gdb.waitFor(60, TimeUnit.SECONDS), "gdb did not finish");
        Map<Integer, List<String>> threads = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : text.split("\n")) {
            Matcher t = THREAD.matcher(line);
            if (t.matches()) {
                current = new ArrayList<>();
                threads.put(Integer.parseInt(t.group(1)), current);
            } else if (current != null && line.startsWith("#")) {
                current.add(line);
            }
        }
        assertTrue(!threads.isEmpty(), "gdb showed no thread of " + pid + ":\n" + text);
        return threads;
    }

    /** The frame lines of thread {@code tid}; at least a few, or the backtrace is not worth comparing. */
    public static List<String> frameLines(int pid, int tid) throws IOException, InterruptedException {
        Map<Integer, List<String>> threads = frameLines(pid);
        List<String> lines = threads.getOrDefault(tid, List.of());
        assertTrue(lines.size() > 3, "gdb saw thread " + tid + ": " + threads);
        return lines;
    }
}
