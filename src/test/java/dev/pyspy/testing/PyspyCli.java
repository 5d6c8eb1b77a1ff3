package dev.pyspy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs pyspy's command line in its own JVM, as a user would. (In-process runs would share the JVM's
 * child reaper with ptrace, which must own the waits on the targets it stops.)
 */
public final class PyspyCli {

    public record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /**
     * The rate test recordings sample at, unless the rate itself is under test: correctness must
     * hold at 1000/s (issue 7), ten times the default.
     */
    public static final String RATE = "1000";

    private PyspyCli() {
    }

    public static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /** The command line with extra JVM options (system properties, heap limits) before the main class. */
    public static List<String> command(List<String> jvmOptions, String... args) {
        return java(jvmOptions, "dev.pyspy.cli.Main", List.of(args));
    }

    /**
     * The command line through the test-only {@code cli.InstrumentedMain}, with its options
     * ({@code fail-after-samples=N}, {@code slow-output-millis=M}, {@code stats-every-seconds=S}).
     */
    public static List<String> instrumentedCommand(List<String> instrumentation, String... args) {
        List<String> mainArgs = new ArrayList<>(instrumentation);
        mainArgs.add("--");
        mainArgs.addAll(List.of(args));
        return java(List.of(), "dev.pyspy.cli.InstrumentedMain", mainArgs);
    }

    private static List<String> java(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        // As from a terminal: a harness started in the background ignores SIGINT and SIGQUIT, and
        // children inherit that; the tests send pyspy SIGINT as a user's Control-C would.
        cmd.addAll(List.of("env", "--default-signal=INT,QUIT"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    private static String worldReadableClasspath;

    /**
     * The command line run as user and group 65534 (nobody) through {@code setpriv}, from a copy of
     * the classpath that user can read (the build's own may sit under {@code /root}).
     */
    public static synchronized List<String> asNobody(String... args) throws IOException, InterruptedException {
        if (worldReadableClasspath == null) {
            Path dir = Files.createTempDirectory("pyspy-cp");
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path src = Path.of(entry);
                Path dst = dir.resolve(i++ + "-" + src.getFileName());
                if (Files.isDirectory(src)) {
                    new ProcessBuilder("cp", "-r", src.toString(), dst.toString()).start().waitFor();
                } else if (Files.exists(src)) {
                    Files.copy(src, dst, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                entries.add(dst.toString());
            }
            new ProcessBuilder("chmod", "-R", "a+rX", dir.toString()).start().waitFor();
            worldReadableClasspath = String.join(java.io.File.pathSeparator, entries);
        }
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", worldReadableClasspath,
                "dev.pyspy.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts pyspy without waiting; its output goes to the given files. */
    public static Process start(Path stdout, Path stderr, String... args) throws IOException {
        return start(List.of(), stdout, stderr, args);
    }

    /** Like {@link #start(Path, Path, String...)}, with extra JVM options. */
    public static Process start(List<String> jvmOptions, Path stdout, Path stderr, String... args) throws IOException {
        return start(command(jvmOptions, args), stdout, stderr);
    }

    /** Like {@link #start(Path, Path, String...)}, through {@link #instrumentedCommand}. */
    public static Process startInstrumented(List<String> instrumentation, Path stdout, Path stderr, String... args)
            throws IOException {
        return start(instrumentedCommand(instrumentation, args), stdout, stderr);
    }

    private static Process start(List<String> command, Path stdout, Path stderr) throws IOException {
        return new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    }

    /** Sends a signal (by name, e.g. "INT") to a process. */
    /** Waits until pyspy says it samples (it has attached), failing if it exits first. */
    public static void awaitSampling(Process pyspy, Path stderr) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(stderr) || !Files.readString(stderr).contains("Sampling process")) {
            if (!pyspy.isAlive()) {
                throw new AssertionError("pyspy exited with " + pyspy.exitValue() + ": " + Files.readString(stderr));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pyspy did not start sampling: " + Files.readString(stderr));
            }
            Thread.sleep(20);
        }
    }

    /** How a pyspy started with the instrumentation {@link #STATS} reports its progress on stderr. */
    private static final java.util.regex.Pattern STATS_SAMPLES = java.util.regex.Pattern.compile("pyspy-test-stats .*samples=(\\d+)");

    /** The instrumentation under which {@code record} reports its sampling passes (see InstrumentedMain). */
    public static final String STATS = "stats-every-seconds=0.2";

    /**
     * Waits until a {@code record} started instrumented with {@link #STATS} reports at least
     * {@code samples} sampling passes, failing if it exits first.
     */
    public static void awaitSamples(Process pyspy, Path stderr, long samples) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String text = Files.exists(stderr) ? Files.readString(stderr) : "";
            long taken = 0;
            for (java.util.regex.Matcher m = STATS_SAMPLES.matcher(text); m.find(); ) {
                taken = Long.parseLong(m.group(1));
            }
            if (taken >= samples) {
                return;
            }
            if (!pyspy.isAlive()) {
                throw new AssertionError("pyspy exited with " + pyspy.exitValue() + " after " + taken + " samples: " + text);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pyspy took " + taken + " samples of " + samples + " within 60 s: " + text);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Runs {@code record ARGS} instrumented with {@link #STATS} (its output and errors in {@code dir})
     * until it reports {@code samples} passes, however busy the machine (a fixed {@code -d} may end
     * before the first), then ends it with SIGINT as a user would; it must exit 0.
     */
    public static void recordUntilSamples(Path dir, long samples, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("record"));
        command.addAll(List.of(args));
        Path err = dir.resolve("record.err");
        Process pyspy = startInstrumented(List.of(STATS), dir.resolve("record.out"), err, command.toArray(new String[0]));
        awaitSamples(pyspy, err, samples);
        signal(pyspy.pid(), "INT");
        if (!pyspy.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("pyspy did not end within 60 s of SIGINT");
        }
        if (pyspy.exitValue() != 0) {
            throw new AssertionError("pyspy exited with " + pyspy.exitValue() + ": " + Files.readString(err));
        }
    }

    public static void signal(long pid, String signal) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    }

    public static Result run(String... args) throws IOException, InterruptedException {
        return run(60, args);
    }

    public static Result run(int timeoutSeconds, String... args) throws IOException, InterruptedException {
        return run(List.of(), java.util.Map.of(), timeoutSeconds, args);
    }

    /**
     * Runs pyspy with extra JVM options and environment variables (a null value removes one),
     * waiting up to {@code timeoutSeconds}.
     */
    public static Result run(List<String> jvmOptions, java.util.Map<String, String> env, int timeoutSeconds,
                             String... args) throws IOException, InterruptedException {
        return run(command(jvmOptions, args), env, timeoutSeconds);
    }

    /** Runs another command line (py-spy's, to compare with) the way {@link #run(int, String...)} runs pyspy's. */
    public static Result runCommand(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        return run(command, java.util.Map.of(), timeoutSeconds);
    }

    /** Like {@link #run(int, String...)}, through {@link #instrumentedCommand}. */
    public static Result runInstrumented(List<String> instrumentation, int timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        return run(instrumentedCommand(instrumentation, args), java.util.Map.of(), timeoutSeconds);
    }

    private static Result run(List<String> command, java.util.Map<String, String> env, int timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        p.getOutputStream().close();
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        Thread t1 = new Thread(() -> copy(p.getInputStream(), out));
        Thread t2 = new Thread(() -> copy(p.getErrorStream(), err));
        t1.start();
        t2.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        t1.join();
        t2.join();
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Runs pyspy's command line inside this JVM (System.out and System.err captured), for command
     * lines that fail before attaching to or launching anything: a JVM start per case costs seconds
     * on a busy machine. Not for anything that traces a process (see the class comment).
     */
    public static synchronized Result runInProcess(String... args) {
        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            code = dev.pyspy.cli.Main.run(args);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(java.io.InputStream in, java.io.OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // the process died; what was read is kept
        }
    }
}
