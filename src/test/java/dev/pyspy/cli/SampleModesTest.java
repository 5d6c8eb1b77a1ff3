package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.pyspy.testing.Collapsed.read;
import static dev.pyspy.testing.Collapsed.samplesContaining;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code --mode}: what a sample counts, against targets that know which of their threads run. */
@NeedsRoot
class SampleModesTest {
    private static final String[] FOUR_THREADS = {"spin_forever (", "sleep_forever (", "select_forever (", "wait_on_lock ("};
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("modes_target.py", "gil_target.py", "exception_target.py", "gc_target.py",
                "gil_share_target.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    static List<Interpreter> freeThreaded() {
        return Interpreters.all().stream().filter(Interpreter::freeThreaded).toList();
    }

    private static Map<String, Long> record(TargetProcess target, String... extra) throws Exception {
        return recordWithPasses(target, extra).stacks();
    }

    private record Recording(Map<String, Long> stacks, long passes, String output) {
    }

    private static Recording recordWithPasses(TargetProcess target, String... extra) throws Exception {
        Path out = Files.createTempFile(scripts, "mode", ".txt");
        List<String> args = new java.util.ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "-f", "raw",
                "-o", out.toString(), "-p", Integer.toString(target.pid())));
        args.addAll(List.of(extra));
        if (!args.contains("-d")) {
            args.addAll(List.of("-d", "2"));
        }
        PyspyCli.Result r = PyspyCli.run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        Matcher m = Pattern.compile("Passes: (\\d+)").matcher(r.stderr());
        assertTrue(m.find(), r.toString());
        return new Recording(read(out), Long.parseLong(m.group(1)), r.toString());
    }

    /** A recording and the target's truth read just after its sampling began and just before it ended. */
    private record Window(Recording recording, JsonNode before, JsonNode after) {
    }

    /**
     * Records {@code target} as {@link #recordWithPasses} does, reading the target's truth (written
     * about every 0.2 s) around the sampling itself, not around pyspy's start-up and output: the first
     * truth written after pyspy says it samples, and the last one read before it says it stopped. On a
     * loaded machine the start-up takes seconds, with the target unpaused, and a target paused a
     * thousand times a second shares its time out differently meanwhile (docs/performance.md,
     * "Shares under load").
     */
    private static Window recordWindow(TargetProcess target, String... extra) throws Exception {
        Path out = Files.createTempFile(scripts, "mode", ".txt");
        Path stdout = Files.createTempFile(scripts, "mode", ".out");
        Path stderr = Files.createTempFile(scripts, "mode", ".err");
        List<String> args = new java.util.ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "-f", "raw",
                "-o", out.toString(), "-p", Integer.toString(target.pid())));
        args.addAll(List.of(extra));
        Process pyspy = PyspyCli.start(stdout, stderr, args.toArray(new String[0]));
        try {
            PyspyCli.awaitSampling(pyspy, stderr);
            JsonNode started = target.truth(5);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            JsonNode before = started;
            while (before.equals(started) && System.nanoTime() < deadline) {
                Thread.sleep(10);
                before = target.truth(5);
            }
            assertTrue(!before.equals(started), "the target wrote no truth while sampled: " + started);
            JsonNode after = before;
            while (!Files.readString(stderr).contains("Stopped sampling") && pyspy.isAlive()) {
                after = target.truth(5);
                Thread.sleep(10);
            }
            assertTrue(pyspy.waitFor(60, TimeUnit.SECONDS), "pyspy ended");
            String output = "exit " + pyspy.exitValue() + "\n" + Files.readString(stderr);
            assertEquals(0, pyspy.exitValue(), output);
            Matcher m = Pattern.compile("Passes: (\\d+)").matcher(output);
            assertTrue(m.find(), output);
            return new Window(new Recording(read(out), Long.parseLong(m.group(1)), output), before, after);
        } finally {
            pyspy.destroyForcibly();
        }
    }

    /**
     * Two threads spend a share of their time (which they measure) inside except blocks, one of them
     * in a generator's: the exception-mode profile holds only those stacks, each under the type it
     * handles, and each thread in about the share of the passes it measured.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void exceptionModeKeepsOnlyThreadsInExceptBlocksUnderTheirType(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("exception_target.py"))) {
            target.truth(30);
            Window window = recordWindow(target, "--mode", "exception", "-d", "3");
            Recording rec = window.recording();
            JsonNode before = window.before();
            JsonNode after = window.after();
            Map<String, Long> stacks = rec.stacks();
            double handler = windowShare(before.get("handler"), after.get("handler"));
            double generator = windowShare(before.get("generator"), after.get("generator"));
            String what = rec.output() + "\n" + handler + " " + generator + "\n" + stacks;
            assertTrue(rec.passes() >= 50, what);
            long mainThread = 0;
            for (Map.Entry<String, Long> e : stacks.entrySet()) {
                String stack = e.getKey();
                if (stack.startsWith("<module> (")) {
                    mainThread += e.getValue(); // an exception raised and caught inside json or io: true, and rare
                    continue;
                }
                // a collection can start inside an except block: its <GC> frame goes on top
                String leaves = stack.endsWith(";<GC>") ? stack.substring(0, stack.length() - ";<GC>".length()) : stack;
                boolean valueError = leaves.endsWith(";<exception ValueError>") && stack.contains("value_error (");
                boolean keyError = leaves.endsWith(";<exception KeyError>") && stack.contains("key_errors (");
                assertTrue(valueError || keyError, "a stack outside the except blocks, or of the wrong type: " + stack
                        + "\n" + what);
            }
            assertTrue(mainThread <= rec.passes() / 100, "the main thread handles no exception of its own: " + what);
            double valueShare = samplesContaining(stacks, "<exception ValueError>") / (double) rec.passes();
            double keyShare = samplesContaining(stacks, "<exception KeyError>") / (double) rec.passes();
            assertShare(valueShare, handler, rec.passes(), "ValueError share\n" + what);
            assertShare(keyShare, generator, rec.passes(), "KeyError share\n" + what);
        }
    }

    /**
     * One thread spins while three are blocked in the kernel (sleep, select, a lock): {@code cpu}
     * counts the spinning one (the kernel decides, not Python's idea of a waiting call), {@code wall}
     * counts all four alike.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void cpuCountsTheSpinningThreadAndWallCountsAllFourAlike(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("modes_target.py"))) {
            target.truth(30);
            Recording rec = recordWithPasses(target, "--mode", "cpu");
            Map<String, Long> cpu = rec.stacks();
            long total = cpu.values().stream().mapToLong(Long::longValue).sum();
            long spinning = samplesContaining(cpu, "spin_forever (");
            // a starved sampler (CI saw 8 passes in 2 s at a load of 20) proves no share either way
            assumeTrue(rec.passes() >= 50, "the machine let the sampler take too few passes:\n" + rec.output());
            // cpu counts CPU time: on a loaded machine the spinning thread gets little of it
            assumeTrue(total >= 50, "the spinning thread got too little CPU: " + cpu + "\n" + rec.output());
            assertTrue(spinning >= 0.95 * total, "cpu samples in the spinning thread: " + spinning + " of " + total + " " + cpu);

            Map<String, Long> wall = record(target, "--mode", "wall");
            long all = wall.values().stream().mapToLong(Long::longValue).sum();
            for (String f : FOUR_THREADS) {
                double share = samplesContaining(wall, f) / (double) all;
                assertTrue(Math.abs(share - 0.25) <= 0.05, f + " has " + share + " of wall samples: " + wall);
            }
        }
    }

    /** Where a collection's thread can be named: 3.7+ (the flag in a struct), with a GIL. */
    static List<Interpreter> collectorReadable() {
        return Interpreters.all().stream().filter(i -> !i.freeThreaded() && !i.isPython2()
                && !i.majorMinor().equals("3.6")).toList();
    }

    /**
     * A program that collects a large graph of cyclic garbage in collect_cycles (and measures the time
     * its collections take): {@code <GC>} frames sit on top of that function, in about the share of
     * samples the program measured; {@code --no-gc} leaves them out; with the collector disabled there
     * are none.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("collectorReadable")
    void gcFramesSitOnTheFunctionThatCollects(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gc_target.py"), "collect")) {
            JsonNode before = target.truth(30);
            Recording rec = recordWithPasses(target, "-d", "3");
            JsonNode after = target.truth(5);
            double truth = (after.get("collecting").asDouble() - before.get("collecting").asDouble())
                    / (after.get("elapsed").asDouble() - before.get("elapsed").asDouble());
            Map<String, Long> stacks = rec.stacks();
            String what = rec.output() + "\n" + truth + "\n" + stacks;
            int collectLine = lineOf("gc_target.py", "gc.collect()");
            long gc = samplesContaining(stacks, ";<GC>");
            long onCollect = stacks.entrySet().stream().filter(e -> e.getKey().endsWith(";collect_cycles (gc_target.py:"
                    + collectLine + ");<GC>")).mapToLong(Map.Entry::getValue).sum();
            long all = stacks.values().stream().mapToLong(Long::longValue).sum();
            assertTrue(stacks.keySet().stream().allMatch(k -> !k.contains("<GC>") || k.endsWith(";<GC>")),
                    "<GC> is always innermost: " + what);
            assertTrue(onCollect >= gc / 2, "most collections are the explicit ones: " + what);
            assertShare(gc / (double) all, truth, all, "<GC> share\n" + what);

            Map<String, Long> without = record(target, "--no-gc");
            assertEquals(0, samplesContaining(without, "<GC>"), without.toString());
            assertTrue(samplesContaining(without, "collect_cycles (") > 0, without.toString());
        }
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gc_target.py"), "disabled")) {
            target.truth(30);
            Map<String, Long> stacks = record(target);
            assertTrue(samplesContaining(stacks, "make_garbage (") >= 100, stacks.toString());
            assertEquals(0, samplesContaining(stacks, "<GC>"), stacks.toString());
        }
    }

    /** The share of a thread's time in except blocks between two of its [handling, total] readings. */
    private static double windowShare(JsonNode before, JsonNode after) {
        return (after.get(0).asDouble() - before.get(0).asDouble()) / (after.get(1).asDouble() - before.get(1).asDouble());
    }

    /** The 1-based number of the first line of the target script {@code name} that is {@code text} (indented). */
    private static int lineOf(String name, String text) throws Exception {
        List<String> lines = Files.readAllLines(scripts.resolve(name));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + name);
    }

    /**
     * A sampled share within 5 points of the truth plus three standard deviations of a share of
     * {@code passes} samples (a loaded machine may give few passes).
     */
    private static void assertShare(double sampled, double truth, long passes, String what) {
        double tolerance = 0.05 + 3 * Math.sqrt(truth * (1 - truth) / passes);
        assertTrue(Math.abs(sampled - truth) <= tolerance, sampled + " vs " + truth + " (tolerance " + tolerance + ") " + what);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("freeThreaded")
    void gilModeIsRefusedWhereThereIsNoGil(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gil_target.py"))) {
            target.truth(30);
            PyspyCli.Result r = PyspyCli.run("record", "--mode", "gil", "-d", "1", "-f", "raw", "-o",
                    scripts.resolve("nogil.txt").toString(), "-p", Integer.toString(target.pid()));
            assertEquals(6, r.exitCode(), r.toString());
            assertEquals(1, r.stderr().strip().lines().count(), r.toString());
            assertTrue(r.stderr().contains("--mode gil does not apply") && r.stderr().contains("no GIL"), r.toString());
            assertFalse(Files.exists(scripts.resolve("nogil.txt")), "no profile written");
            assertTrue(target.process().isAlive(), "the target runs on");
        }
    }

    /** As {@code --gil}: the spinning thread holds the GIL, the sleeping one never. */
    @Test
    void gilModeKeepsTheGilHolderOnly() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gil_target.py"))) {
            target.truth(30);
            Map<String, Long> stacks = record(target, "--mode", "gil");
            assertTrue(samplesContaining(stacks, "busy_loop (") >= 150, stacks.toString());
            assertEquals(0, samplesContaining(stacks, "sleeper ("), stacks.toString());
        }
    }

    static List<Interpreter> withGil() {
        return Interpreters.all().stream().filter(i -> !i.freeThreaded()).toList();
    }

    /**
     * Four threads queue for the GIL and each times its own turns holding it (the interpreter never
     * takes it from them): {@code gil} mode keeps each in about the share of the passes it held it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("withGil")
    void gilModeFollowsTheHolderTheTargetTimes(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gil_share_target.py"))) {
            assertSharesFollowTheTarget(target, "gil", "held", "hold_long", "hold_half", "hold_short", "hold_rare");
        }
    }

    /**
     * Records {@code target} for 3 s in {@code mode}: each of {@code functions} must be in about the
     * share of the passes the target measured for it, the growth of its entry under {@code truthKey}
     * (seconds) over the wall time between two of the target's readings around the recording.
     */
    private static void assertSharesFollowTheTarget(TargetProcess target, String mode, String truthKey,
                                                    String... functions) throws Exception {
        target.truth(30);
        Window window = recordWindow(target, "--mode", mode, "-d", "3");
        Recording rec = window.recording();
        JsonNode before = window.before();
        JsonNode after = window.after();
        Map<String, Long> stacks = rec.stacks();
        assumeTrue(rec.passes() >= 50, "the machine let the sampler take too few passes:\n" + rec.output());
        double wall = after.get("wall").asDouble() - before.get("wall").asDouble();
        // a turn holding the GIL spans several passes, which then say the same: the passes are as
        // many independent looks as there were turns, where the target counts them
        long looks = after.has("holds") ? Math.min(rec.passes(), after.get("holds").asLong() - before.get("holds").asLong())
                : rec.passes();
        StringBuilder what = new StringBuilder(rec.output()).append('\n').append(stacks).append("\nturns: ").append(looks);
        for (String f : functions) {
            double truth = (after.get(truthKey).get(f).asDouble() - before.get(truthKey).get(f).asDouble()) / wall;
            double sampled = samplesContaining(stacks, f + " (") / (double) rec.passes();
            what.append('\n').append(f).append(": ").append(sampled).append(" of passes, measured ").append(truth);
            assertShare(sampled, truth, looks, f + "\n" + what);
        }
    }

    /** Conflicting or unknown modes: one line on stderr and exit code 2, before anything is attached. */
    @Test
    void conflictingModeOptionsAreRefused() {
        String none = "999999999";
        String[][] cases = {
                {"record", "--mode", "cpu", "--idle", "-p", none},
                {"record", "--mode", "wall", "--gil", "-p", none},
                {"record", "--mode", "cpu", "-g", "-p", none},
                {"record", "--mode", "fast", "-p", none},
                {"record", "--mode", "-p", none},
                {"top", "--mode", "cpu", "-i", "-p", none},
                {"top", "--mode", "sometimes", "-p", none},
                {"record", "--mode", "exception", "-i", "-p", none},
                {"record", "--no-gc=maybe", "-p", none},
                {"top", "--mode", "exception", "--gil", "-p", none},
        };
        for (String[] args : cases) {
            PyspyCli.Result r = PyspyCli.runInProcess(args);
            String what = String.join(" ", args) + "\n" + r;
            assertEquals(2, r.exitCode(), what);
            assertEquals(1, r.stderr().strip().lines().count(), what);
            assertFalse(r.stderr().contains("Exception"), what);
        }
        // the redundant and py-spy's own combinations are accepted (and fail later: no such process)
        for (String[] args : new String[][]{{"record", "--mode", "wall", "-i", "-p", none},
                {"record", "--mode", "gil", "-g", "-i", "-p", none}, {"record", "-g", "-i", "-p", none}}) {
            PyspyCli.Result r = PyspyCli.runInProcess(args);
            assertEquals(3, r.exitCode(), String.join(" ", args) + "\n" + r);
        }
    }
}
