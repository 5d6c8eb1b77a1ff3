package dev.pyspy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.process.LibC;
import dev.pyspy.process.ProcFs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Python program from {@code src/test/resources/targets} started for a test; killed when the test
 * ends. The program gets its truth file's path as its first argument and writes what it knows
 * there (JSON read with {@link #truth}, or text with {@link #awaitReady}; {@code truth.py} is the
 * helper module that writes it atomically).
 */
public final class TargetProcess implements AutoCloseable {
    /** Started with {@link ProcessBuilder}, or null when started as pyspy starts programs. */
    private final Process process;
    private final ChildProcess child;
    private final Path truth;
    private final Path log;
    private final boolean forks;
    private int pid;

    private TargetProcess(Process process, ChildProcess child, Path truth, Path log, boolean forks) {
        this.process = process;
        this.child = child;
        this.truth = truth;
        this.log = log;
        this.forks = forks;
    }

    /**
     * Copies the test resource scripts, and {@code truth.py} that any of them may import, to a
     * temporary directory and returns it.
     */
    public static Path scripts(String... names) throws IOException {
        Path dir = Files.createTempDirectory("pyspy-target");
        List<String> all = new ArrayList<>(List.of(names));
        if (!all.contains("truth.py")) {
            all.add("truth.py");
        }
        for (String n : all) {
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
        Launch l = new Launch(interpreter, script, args);
        ProcessBuilder pb = new ProcessBuilder(l.command).redirectErrorStream(true).redirectOutput(l.log.toFile());
        pb.environment().putAll(ENVIRONMENT);
        return new TargetProcess(pb.start(), null, l.truth, l.log, interpreter.forks());
    }

    /**
     * Starts it as {@code pyspy record -- python ...} starts programs ({@link ChildProcess}): for
     * tests that trace the target from this JVM, where its exit status may be reaped by the tracer
     * and must still reach whoever waits for it. Host interpreters only.
     */
    public static TargetProcess startChild(Interpreters.Interpreter interpreter, Path script, String... args)
            throws IOException, PyspyException {
        if (interpreter.forks()) {
            throw new IllegalArgumentException("a launcher is not the target: " + interpreter);
        }
        Launch l = new Launch(interpreter, script, args);
        return new TargetProcess(null, ChildProcess.start(l.command, ENVIRONMENT, null, l.log), l.truth, l.log, false);
    }

    private static final Map<String, String> ENVIRONMENT = Map.of("PYTHONIOENCODING", "utf-8", "PYTHONDONTWRITEBYTECODE", "1");

    /** The command line, truth file and log of one start. */
    private static final class Launch {
        final List<String> command;
        final Path truth;
        final Path log;

        Launch(Interpreters.Interpreter interpreter, Path script, String... args) throws IOException {
            Path staged = interpreter.stage(script);
            truth = staged.resolveSibling("truth-" + System.nanoTime() + ".json");
            log = script.resolveSibling("target-" + System.nanoTime() + ".log");
            String[] all = new String[args.length + 2];
            all[0] = interpreter.inside(staged);
            all[1] = interpreter.inside(truth);
            System.arraycopy(args, 0, all, 2, args.length);
            command = diesWithTheTests(interpreter.command(all));
        }
    }

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

    /** The interpreter's pid: the started process, or its child when it is a launcher ({@code unshare --fork}). */
    public int pid() {
        if (pid == 0) {
            pid = child != null ? child.pid() : forks ? childOf(process.pid()) : (int) process.pid();
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

    /** The started process, when started with {@link #start}. */
    public Process process() {
        if (process == null) {
            throw new IllegalStateException("started as a ChildProcess: use child()");
        }
        return process;
    }

    /** The started process, when started with {@link #startChild}. */
    public ChildProcess child() {
        if (child == null) {
            throw new IllegalStateException("started with ProcessBuilder: use process()");
        }
        return child;
    }

    public boolean isAlive() {
        return child != null ? child.isAlive() : process.isAlive();
    }

    /** Sends {@code signal} to the interpreter; false if it is gone. */
    public boolean kill(int signal) {
        if (child != null) {
            return child.kill(signal);
        }
        try {
            LibC.kill(pid(), signal);
            return true;
        } catch (com.sun.jna.LastErrorException e) {
            return false;
        }
    }

    /** Waits for the exit; the exit code, or 128 + the signal that ended it. */
    public int waitForExit() throws InterruptedException {
        if (child != null) {
            return child.waitForExit();
        }
        return process.waitFor();
    }

    /** Waits until the target has at least {@code n} threads. */
    public void awaitThreads(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ProcFs.threadIds(pid()).length < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("process " + pid() + " never had " + n + " threads:\n" + output());
            }
            Thread.sleep(10);
        }
    }

    /** Where the target writes its truth (a host path). */
    public Path truthPath() {
        return truth;
    }

    /** Waits for the target to write its truth file and returns it. */
    public JsonNode truth(int timeoutSeconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!Files.exists(truth)) {
            if (!isAlive()) {
                throw new AssertionError("target exited early with " + waitForExit() + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("target wrote no truth within " + timeoutSeconds + " s:\n" + output());
            }
            Thread.sleep(50);
        }
        return new ObjectMapper().readTree(truth.toFile());
    }

    /** Waits up to 30 s for the target's first {@code ready(text)} and returns the text. */
    public String awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(truth)) {
            if (!isAlive()) {
                throw new AssertionError("target exited early:\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("target not ready within 30 s:\n" + output());
            }
            Thread.sleep(10);
        }
        return readyText();
    }

    /** The text of the target's last {@code ready(text)}, "" before the first. */
    public String readyText() {
        try {
            return Files.readString(truth).strip();
        } catch (IOException e) {
            return "";
        }
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
        if (child != null) {
            child.kill(LibC.SIGKILL);
            child.waitForExit();
            child.close();
        } else {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Closes them all, killing every one before waiting for any: a process traced by another is
     * reaped only once its tracer is gone.
     */
    public static void closeAll(Collection<TargetProcess> targets) throws InterruptedException {
        for (TargetProcess t : targets) {
            t.kill(LibC.SIGKILL);
        }
        for (TargetProcess t : targets) {
            t.close();
        }
    }

    public static List<String> lines(String text) {
        return text.lines().toList();
    }
}
