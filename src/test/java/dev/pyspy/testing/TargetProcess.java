package dev.pyspy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A Python program started for a test; killed when the test ends. */
public final class TargetProcess implements AutoCloseable {
    private final Process process;
    private final Path truth;
    private final Path log;

    private TargetProcess(Process process, Path truth, Path log) {
        this.process = process;
        this.truth = truth;
        this.log = log;
    }

    /** Copies the test resource scripts to a temporary directory and returns it. */
    public static Path scripts(String... names) throws IOException {
        Path dir = Files.createTempDirectory("pyspy-target");
        for (String n : names) {
            try (var in = TargetProcess.class.getResourceAsStream("/targets/" + n)) {
                if (in == null) {
                    throw new IOException("missing test resource targets/" + n);
                }
                Files.copy(in, dir.resolve(n));
            }
        }
        return dir;
    }

    /** Starts {@code interpreter script args}; the script receives the truth file path as its first argument. */
    public static TargetProcess start(Interpreters.Interpreter interpreter, Path script, String... args) throws IOException {
        Path truth = script.resolveSibling("truth-" + System.nanoTime() + ".json");
        Path log = script.resolveSibling("target-" + System.nanoTime() + ".log");
        String[] all = new String[args.length + 2];
        all[0] = script.toString();
        all[1] = truth.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(interpreter.command(all)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PYTHONIOENCODING", "utf-8");
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        return new TargetProcess(pb.start(), truth, log);
    }

    public int pid() {
        return (int) process.pid();
    }

    public Process process() {
        return process;
    }

    /** Waits for the target to write its truth file and returns it. */
    public JsonNode truth(int timeoutSeconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!Files.exists(truth)) {
            if (!process.isAlive()) {
                throw new AssertionError("target exited early with " + process.exitValue() + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("target wrote no truth within " + timeoutSeconds + " s:\n" + output());
            }
            Thread.sleep(50);
        }
        return new ObjectMapper().readTree(truth.toFile());
    }

    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The state letter of the process in /proc/PID/stat ('R', 'S', 't', ...). */
    public static char state(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    public static List<String> lines(String text) {
        return text.lines().toList();
    }
}
