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
    private final boolean forks;
    private int pid;

    private TargetProcess(Process process, Path truth, Path log, boolean forks) {
        this.process = process;
        this.truth = truth;
        this.log = log;
        this.forks = forks;
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

    /**
     * Starts {@code interpreter script args}; the script receives the truth file path as its first
     * argument. For an interpreter in a tree the script's directory is copied into the tree first
     * (and the truth file is written there).
     */
    public static TargetProcess start(Interpreters.Interpreter interpreter, Path script, String... args) throws IOException {
        Path staged = interpreter.stage(script);
        Path truth = staged.resolveSibling("truth-" + System.nanoTime() + ".json");
        Path log = script.resolveSibling("target-" + System.nanoTime() + ".log");
        String[] all = new String[args.length + 2];
        all[0] = interpreter.inside(staged);
        all[1] = interpreter.inside(truth);
        System.arraycopy(args, 0, all, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(diesWithTheTests(interpreter.command(all)))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PYTHONIOENCODING", "utf-8");
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        return new TargetProcess(pb.start(), truth, log, interpreter.forks());
    }

    /** The interpreter's pid: the started process, or its child when it is a launcher ({@code unshare --fork}). */
    /**
     * The command under {@code setpriv --pdeathsig KILL}: if the test JVM dies (a timeout, a kill),
     * its targets die too instead of spinning on as orphans. The signal setting survives the exec
     * of chroot and the interpreter, and the pid stays the target's.
     */
    static List<String> diesWithTheTests(List<String> command) {
        if (!Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            return command;
        }
        List<String> wrapped = new java.util.ArrayList<>(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    public int pid() {
        if (pid == 0) {
            pid = forks ? childOf(process.pid()) : (int) process.pid();
        }
        return pid;
    }

    /** The only child of {@code parent}, waiting up to 10 s for it to appear. */
    public static int childOf(long parent) {
        Path children = Path.of("/proc", Long.toString(parent), "task", Long.toString(parent), "children");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                String text = Files.readString(children).trim();
                if (!text.isEmpty()) {
                    return Integer.parseInt(text.split("\\s+")[0]);
                }
            } catch (IOException e) {
                throw new AssertionError("launcher " + parent + " exited before starting the interpreter", e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("launcher " + parent + " started no child within 10 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public Process process() {
        return process;
    }

    /** Where the target writes its truth (a host path). */
    public Path truthPath() {
        return truth;
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
