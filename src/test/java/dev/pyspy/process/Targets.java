package dev.pyspy.process;

import dev.pyspy.PyspyException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Starts small Python programs to test against, and cleans them up. */
final class Targets implements AutoCloseable {

    static final String PYTHON = "/usr/bin/python3.11";

    private final Path dir;
    private final List<ChildProcess> children = new ArrayList<>();

    Targets() throws IOException {
        dir = Files.createTempDirectory("pyspy-process-test");
    }

    Path dir() {
        return dir;
    }

    /**
     * Starts {@code python3.11 -c script READY_FILE args...}; output goes to a log file (the test
     * runner owns stdout). The script writes its result to sys.argv[1] via {@code ready()}.
     */
    ChildProcess python(String script, String... args) throws PyspyException {
        String prelude = """
                import os, sys
                def ready(text):
                    tmp = sys.argv[1] + '.tmp'
                    with open(tmp, 'w') as f:
                        f.write(text + '\\n')
                    os.rename(tmp, sys.argv[1])
                """;
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", prelude + script, readyFile(children.size()).toString()));
        cmd.addAll(List.of(args));
        return track(ChildProcess.start(cmd, Map.of(), null, dir.resolve("out-" + children.size() + ".log")));
    }

    ChildProcess track(ChildProcess c) {
        children.add(c);
        return c;
    }

    Path readyFile(int index) {
        return dir.resolve("ready-" + index);
    }

    /** Waits for the script's {@code ready(...)} text. */
    String awaitReady(ChildProcess c) throws Exception {
        int index = children.indexOf(c);
        Path f = readyFile(index);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(f)) {
                return Files.readString(f).strip();
            }
            if (!c.isAlive()) {
                throw new AssertionError("target exited early: " + log(index));
            }
            Thread.sleep(10);
        }
        throw new AssertionError("target not ready: " + log(index));
    }

    String log(int index) {
        try {
            return Files.readString(dir.resolve("out-" + index + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Polls until {@code pid} has at least {@code n} threads. */
    static void awaitThreads(int pid, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (ProcFs.threadIds(pid).length < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("process " + pid + " never had " + n + " threads");
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() throws Exception {
        // Kill all before waiting: a process traced by another child is reaped only once its tracer dies.
        for (ChildProcess c : children) {
            c.kill(LibC.SIGKILL);
        }
        for (ChildProcess c : children) {
            c.waitForExit();
            c.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }
}
