package dev.pyspy.cli;

import dev.pyspy.testing.Collapsed;
import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code pyspy record} end to end, against real interpreters. */
@NeedsRoot
class RecordIntegrationTest {
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("ratio_target.py", "pool_target.py", "sleep_target.py", "spin_target.py",
                "gil_target.py", "code_reuse_target.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void sampledSplitMatchesTheWorkloadsOwnCpuTimes(Interpreter python) throws Exception {
        Path out = Files.createTempFile(scripts, "ratio", ".txt");
        Path script = python.stage(scripts.resolve("ratio_target.py"));
        Path truth = script.resolveSibling("ratio-" + System.nanoTime() + ".json");
        // Sampling error, not pyspy, dominates small counts: over n samples of a 3:1 split the
        // ratio's relative error is about sqrt(16/(3n)), 2.3% at 10 000 samples (5% is only 2.2 sigma
        // then: a false failure on one of sixteen interpreters is likely), 1.2% at 40 000 (4.3 sigma).
        List<String> args = new ArrayList<>(List.of("record", "-r", "3000", "-f", "raw", "-o", out.toString()));
        PyspyCli.Result r;
        if (python.forks()) {
            // started through a launcher (unshare): attach to the interpreter it starts, until it
            // exits (it runs a little longer to make up for the time attaching takes)
            try (TargetProcess target = TargetProcess.start(python, script, "19")) {
                args.addAll(List.of("-p", Integer.toString(target.pid())));
                r = PyspyCli.run(120, args.toArray(new String[0]));
                truth = target.truthPath();
                target.truth(30);
            }
        } else {
            args.add("--");
            args.addAll(python.command(python.inside(script), python.inside(truth), "15"));
            r = PyspyCli.run(120, args.toArray(new String[0]));
        }
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode measured = new ObjectMapper().readTree(truth.toFile());
        double expected = measured.get("heavy_a").asDouble() / measured.get("heavy_b").asDouble();
        Map<String, Long> stacks = Collapsed.read(out);
        long total = stacks.values().stream().mapToLong(Long::longValue).sum();
        long a = Collapsed.samplesContaining(stacks, "heavy_a (");
        long b = Collapsed.samplesContaining(stacks, "heavy_b (");
        assertTrue(total >= 1000, "at least 1000 samples, got " + total + "\n" + r);
        double sampled = (double) a / b;
        assertEquals(expected, sampled, expected * 0.05,
                "sampled heavy_a/heavy_b " + a + "/" + b + " of " + total + " vs measured CPU " + measured);
        assertTrue(r.stderr().contains("Stopped sampling because the process exited"), r.stderr());
    }

    @Test
    void everyFormatOfARealRecordingIsReadByItsConsumer() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            String pid = Integer.toString(target.pid());
            Path dir = Files.createTempDirectory(scripts, "formats");
            for (String format : new String[]{"raw", "flamegraph", "speedscope", "chrometrace", "pprof"}) {
                Path out = dir.resolve("out." + format);
                PyspyCli.Result r = PyspyCli.run("record", "-d", "2", "-r", PyspyCli.RATE, "-f", format, "-o",
                        out.toString(), "-p", pid);
                assertEquals(0, r.exitCode(), format + ": " + r);
            }
            assertTrue(Collapsed.samplesContaining(Collapsed.read(dir.resolve("out.raw")), "busy_loop (") > 100);
            var svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(dir.resolve("out.flamegraph").toFile());
            assertEquals("svg", svg.getDocumentElement().getNodeName());
            ObjectMapper json = new ObjectMapper();
            JsonNode speedscope = json.readTree(dir.resolve("out.speedscope").toFile());
            assertEquals("https://www.speedscope.app/file-format-schema.json", speedscope.get("$schema").asText());
            int frames = speedscope.get("shared").get("frames").size();
            boolean busy = false;
            for (JsonNode f : speedscope.get("shared").get("frames")) {
                busy |= f.get("name").asText().equals("busy_loop");
            }
            assertTrue(busy, "busy_loop among speedscope frames");
            for (JsonNode profile : speedscope.get("profiles")) {
                assertEquals("sampled", profile.get("type").asText());
                assertEquals(profile.get("samples").size(), profile.get("weights").size());
                for (JsonNode sample : profile.get("samples")) {
                    sample.forEach(i -> assertTrue(i.asInt() >= 0 && i.asInt() < frames));
                }
            }
            JsonNode trace = json.readTree(dir.resolve("out.chrometrace").toFile());
            Map<String, Integer> open = new HashMap<>();
            for (JsonNode e : trace) {
                String ph = e.get("ph").asText();
                String key = e.path("pid").asText() + "/" + e.path("tid").asText();
                if (ph.equals("B")) {
                    open.merge(key, 1, Integer::sum);
                } else if (ph.equals("E")) {
                    open.merge(key, -1, Integer::sum);
                    assertTrue(open.get(key) >= 0, "E without B");
                }
            }
            open.values().forEach(v -> assertEquals(0, v, "every B has its E"));
            Path go = Path.of("/usr/bin/go");
            if (Files.isExecutable(go)) {
                Process p = new ProcessBuilder(go.toString(), "tool", "pprof", "-top", dir.resolve("out.pprof").toString())
                        .redirectErrorStream(true).start();
                String top = new String(p.getInputStream().readAllBytes());
                assertEquals(0, p.waitFor(), top);
                assertTrue(top.contains("busy_loop"), top);
            }
        }
    }

    @Test
    void labelOptionsShapeTheFrames() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            String pid = Integer.toString(target.pid());
            Path byFunction = scripts.resolve("byfunction-" + System.nanoTime() + ".txt");
            Path noLines = scripts.resolve("nolines-" + System.nanoTime() + ".txt");
            assertEquals(0, PyspyCli.run("record", "-r", PyspyCli.RATE, "-d", "2", "-F", "-t", "-f", "raw", "-o",
                    byFunction.toString(), "-p", pid).exitCode());
            assertEquals(0, PyspyCli.run("record", "-r", PyspyCli.RATE, "-d", "2", "--nolineno", "-f", "raw", "-o",
                    noLines.toString(), "-p", pid).exitCode());
            // spin_target.py: busy_loop is defined on line 6; -F labels frames with the function's first line
            Pattern threadRoot = Pattern.compile("^thread \\(\\d+\\)(: MainThread)?;");
            for (String stack : Collapsed.read(byFunction).keySet()) {
                assertTrue(threadRoot.matcher(stack).find(), "-t puts the thread first: " + stack);
                if (stack.contains("busy_loop")) {
                    assertTrue(stack.endsWith("busy_loop (spin_target.py:6)"), stack);
                }
            }
            for (String stack : Collapsed.read(noLines).keySet()) {
                assertFalse(stack.matches(".*\\.py:\\d+\\).*"), "--nolineno leaves lines out: " + stack);
                assertTrue(stack.startsWith("<module> (spin_target.py);"), stack);
            }
        }
    }

    @Test
    void launchModeExitsWithTheChildsExitCodeAndPassesItsOutputThrough() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        Path out = Files.createTempFile(scripts, "exit", ".txt");
        List<String> args = new ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "-f", "raw", "-o", out.toString(),
                "--"));
        args.addAll(python.command("-c", "import sys, time; time.sleep(1); print('child says hi'); sys.exit(7)"));
        PyspyCli.Result r = PyspyCli.run(args.toArray(new String[0]));
        assertEquals(7, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("child says hi"), r.toString());
        assertTrue(Files.exists(out), "profile written");
    }

    @Test
    void sigintWhileRecordingStillWritesACompleteFlameGraph() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            Path out = scripts.resolve("sigint-" + System.nanoTime() + ".svg");
            Process pyspy = PyspyCli.startInstrumented(List.of(PyspyCli.STATS), scripts.resolve("sigint.out"),
                    scripts.resolve("sigint.err"),
                    "record", "-r", PyspyCli.RATE, "-o", out.toString(), "-p", Integer.toString(target.pid()));
            PyspyCli.awaitSamples(pyspy, scripts.resolve("sigint.err"), 1000);
            PyspyCli.signal(pyspy.pid(), "INT");
            assertTrue(pyspy.waitFor(30, TimeUnit.SECONDS), "pyspy ended after SIGINT");
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.toFile());
            assertEquals("svg", doc.getDocumentElement().getNodeName());
            assertTrue(Files.readString(out).contains("busy_loop"), "the busy function is in the graph");
            assertTrue(target.process().isAlive(), "target still running");
            assertFalse(isStopped(target.pid()), "target not left stopped");
        }
    }

    @Test
    void targetExitingMidRecordingGivesACompleteFile() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"), "6")) {
            target.truth(30);
            Path out = scripts.resolve("exit-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "-r", PyspyCli.RATE, "-f", "raw", "-d", "60", "-o",
                    out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(Collapsed.samplesContaining(Collapsed.read(out), "busy_loop (") > 50, Files.readString(out));
            assertTrue(r.stderr().contains("process exited"), r.stderr());
        }
    }

    @Test
    void subprocessesOfAMultiprocessingPoolAreFollowed() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        Path out = Files.createTempFile(scripts, "pool", ".txt");
        List<String> args = new ArrayList<>(List.of("record", "-s", "-r", PyspyCli.RATE, "-f", "raw", "-o",
                out.toString(), "--"));
        args.addAll(python.command(scripts.resolve("pool_target.py").toString(), "unused", "4"));
        PyspyCli.Result r = PyspyCli.run(120, args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        Set<String> processes = new HashSet<>();
        // the innermost process frame is the sampled process (the ones above it are its ancestors)
        Pattern root = Pattern.compile("^(?:process \\d+:\"[^\"]*\";)*process (\\d+):");
        for (String stack : Collapsed.read(out).keySet()) {
            Matcher m = root.matcher(stack);
            assertTrue(m.find(), "every stack starts with its process: " + stack);
            if (stack.contains("burn (")) {
                processes.add(m.group(1));
            }
        }
        assertTrue(processes.size() >= 3, "worker processes burning CPU: " + processes + "\n" + r);
    }

    @Test
    void gilOnlyRecordsAlmostNothingOfASleepingProgramWhileIdleRecordsTheSleep() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            Path gil = scripts.resolve("gil-" + System.nanoTime() + ".txt");
            Path idle = scripts.resolve("idle-" + System.nanoTime() + ".txt");
            String pid = Integer.toString(target.pid());
            PyspyCli.Result g = PyspyCli.run("record", "-g", "-r", PyspyCli.RATE, "-d", "2", "-f", "raw", "-o",
                    gil.toString(), "-p", pid);
            PyspyCli.Result i = PyspyCli.run("record", "-i", "-r", PyspyCli.RATE, "-d", "2", "-f", "raw", "-o",
                    idle.toString(), "-p", pid);
            assertEquals(0, g.exitCode(), g.toString());
            assertEquals(0, i.exitCode(), i.toString());
            long gilSamples = Collapsed.read(gil).values().stream().mapToLong(Long::longValue).sum();
            long idleSleep = Collapsed.samplesContaining(Collapsed.read(idle), "idle_sleeper (");
            assertTrue(gilSamples <= 5, "GIL-only samples of a sleeping program: " + gilSamples);
            assertTrue(idleSleep >= 150, "idle samples in the sleeping function: " + idleSleep);
        }
    }

    /**
     * A code object freed while recorded and another made at its address (functions made by exec,
     * a module's code after import) must not keep the first one's name, not even for a sample: the
     * code cache checks the object's header and its name's hash in every walk that uses it (on 3.7
     * the name, file and line table land at the freed ones' addresses too). Launched by pyspy, so it sees the first
     * function; skipped where the target's allocator did not give the address back.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void aCodeObjectMadeWhereAFreedOneWasIsNamedForItself(Interpreter python) throws Exception {
        assumeTrue(!python.forks(), "launched through a wrapper: pyspy would attach after the first function ran");
        Path out = Files.createTempFile(scripts, "reuse", ".txt");
        Path script = python.stage(scripts.resolve("code_reuse_target.py"));
        Path truth = script.resolveSibling("reuse-" + System.nanoTime() + ".json");
        List<String> args = new ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "-f", "raw", "-o", out.toString(),
                "--"));
        args.addAll(python.command(python.inside(script), python.inside(truth)));
        PyspyCli.Result r = PyspyCli.run(120, args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode addresses = new ObjectMapper().readTree(truth.toFile());
        assumeTrue(addresses.get("alpha").asLong() == addresses.get("beta").asLong(),
                "the allocator did not reuse the address: " + addresses);
        Map<String, Long> stacks = Collapsed.read(out);
        long alpha = Collapsed.samplesContaining(stacks, "alpha (");
        long beta = Collapsed.samplesContaining(stacks, "beta (");
        assertTrue(alpha >= 100, "the first function was sampled: " + stacks);
        // the sampler never takes more than one sample an interval: a sample of beta named alpha would
        // push alpha past what its own run could have had
        double alphaTicks = addresses.get("alpha_seconds").asDouble() * Integer.parseInt(PyspyCli.RATE);
        assertTrue(alpha <= alphaTicks + 2, "no sample of beta carries alpha's name: alpha " + alpha + " in "
                + alphaTicks + " intervals\n" + stacks);
        assertTrue(beta >= alpha, "the new function has its own name: alpha " + alpha + ", beta " + beta + "\n" + stacks);
    }

    static List<Interpreter> interpretersWithAGil() {
        return Interpreters.all().stream().filter(i -> !i.freeThreaded()).toList();
    }

    /** The GIL holder is read in the same call as the thread states: it must still be the right thread. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpretersWithAGil")
    void gilOnlyRecordsTheThreadHoldingTheGil(Interpreter python) throws Exception {
        Path out = Files.createTempFile(scripts, "gil", ".txt");
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gil_target.py"))) {
            target.truth(30);
            PyspyCli.Result r = PyspyCli.run("record", "-g", "-r", PyspyCli.RATE, "-d", "2", "--nonblocking", "-f",
                    "raw", "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
        }
        Map<String, Long> stacks = Collapsed.read(out);
        long busy = Collapsed.samplesContaining(stacks, "busy_loop (");
        assertTrue(busy >= 150, "GIL samples in the spinning thread: " + busy + " " + stacks);
        assertEquals(0, Collapsed.samplesContaining(stacks, "sleeper ("), "the sleeping thread never holds the GIL: " + stacks);
    }

    @Test
    void sigkillDuringABlockingRecordingLeavesTheTargetRunning() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            Process pyspy = PyspyCli.startInstrumented(List.of(PyspyCli.STATS), scripts.resolve("kill.out"),
                    scripts.resolve("kill.err"), "record", "-r", "1000", "-f", "raw", "-o",
                    scripts.resolve("kill.txt").toString(), "-p", Integer.toString(target.pid()));
            PyspyCli.awaitSamples(pyspy, scripts.resolve("kill.err"), 1000);
            pyspy.destroyForcibly();
            assertTrue(pyspy.waitFor(10, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (isStopped(target.pid()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            for (int i = 0; i < 5; i++) {
                assertFalse(isStopped(target.pid()), "target left stopped after pyspy was killed");
                Thread.sleep(100);
            }
            assertFalse(Files.exists(scripts.resolve("kill.txt")), "no partial profile after SIGKILL");
        }
    }

    /**
     * Every subcommand: each invalid option, value or combination gets one line on stderr and exit
     * code 2, before anything is attached or launched (the pid given does not exist, so a case that
     * got past the checks would fail with 3 instead).
     */
    @Test
    void invalidOptionsAreRejectedWithExitCode2BeforeSampling() throws Exception {
        Path collapsed = Files.writeString(Files.createTempFile(scripts, "in", ".txt"), "a;b 3\na;c 1\n");
        Path empty = Files.createTempFile(scripts, "empty", ".txt");
        String none = "999999999";
        String[][] cases = {
                // record
                {"record", "-r", "0", "-p", none},
                {"record", "-r", "-5", "-p", none},
                {"record", "-r", "abc", "-p", none},
                {"record", "-r", "1000001", "-p", none},
                {"record", "-r", "99999999999", "-p", none},
                {"record", "-d", "-1", "-p", none},
                {"record", "-d", "0", "-p", none},
                {"record", "-d", "NaN", "-p", none},
                {"record", "-d", "soon", "-p", none},
                {"record", "-F", "--nolineno", "-p", none},
                {"record", "-f", "gif", "-p", none},
                {"record", "-f", "", "-p", none},
                {"record", "-o", "/nonexistent-dir/out.svg", "-p", none},
                {"record", "-f", "raw", "-o", "x.svg", "-p", none},
                {"record", "-f", "gecko", "-o", "x.html", "-p", none},
                {"record", "-f", "table", "--top", "-1", "-p", none},
                {"record", "-f", "table", "--sort", "name", "-p", none},
                {"record", "--width", "50", "-p", none},
                {"record", "--width", "wide", "-p", none},
                {"record", "--min-width", "100", "-p", none},
                {"record", "--min-width", "-1", "-p", none},
                {"record", "--no-such-option", "-p", none},
                {"record", "-p"},
                {"record", "-p", "0"},
                {"record", "-p", "-3"},
                {"record", "-p", "notanumber"},
                {"record", "-p", "1", "-p", "2"},
                {"record"},
                {"record", "-p", none, "--", "python3"},
                {"record", "-p", none, "extra"},
                // dump
                {"dump"},
                {"dump", "-p"},
                {"dump", "-p", "notanumber"},
                {"dump", "-p", "0"},
                {"dump", "-p", "-1"},
                {"dump", "-p", none, "--no-such-option"},
                {"dump", "-p", none, "extra"},
                {"dump", "-p", none, "-r", "100"},
                // top
                {"top"},
                {"top", "-p", none, "--delay", "0"},
                {"top", "-p", none, "--delay", "-1"},
                {"top", "-p", none, "--delay", "never"},
                {"top", "-p", none, "-r", "0"},
                {"top", "-p", none, "-r", "1", "--delay", "0.1"},
                {"top", "-p", "0"},
                {"top", "-p", none, "--", "python3"},
                {"top", "-p", none, "--no-such-option"},
                // render and diff (files, not processes)
                {"render"},
                {"render", "/nonexistent-pyspy-input.txt"},
                {"render", scripts.toString()},
                {"render", empty.toString()},
                {"render", collapsed.toString(), "-f", "gif"},
                {"render", collapsed.toString(), "--width", "10"},
                {"render", collapsed.toString(), "--min-width", "200"},
                {"render", collapsed.toString(), "-o", "/nonexistent-dir/out.svg"},
                {"render", collapsed.toString(), "-f", "pprof", "-o", "x.html"},
                {"diff", collapsed.toString(), collapsed.toString(), "-o", "x.json"},
                {"diff"},
                {"diff", collapsed.toString()},
                {"diff", "-", "-"},
                {"diff", collapsed.toString(), collapsed.toString(), "-f", "raw"},
                {"diff", collapsed.toString(), "/nonexistent-pyspy-input.txt"},
                // no such subcommand or option
                {"profile", "-p", none},
                {"--no-such-option"},
        };
        // in this JVM (a JVM per case would take minutes on a busy machine) ...
        for (String[] args : cases) {
            assertUsageError(args, PyspyCli.runInProcess(args));
        }
        // ... and a few as a user runs them, to see the process's exit code
        for (String[] args : new String[][]{cases[0], {"dump", "-p", "0"}, {"top", "-p", none, "--delay", "0"},
                {"diff", "-", "-"}, {"--no-such-option"}}) {
            assertUsageError(args, PyspyCli.run(args));
        }
    }

    private static void assertUsageError(String[] args, PyspyCli.Result r) {
        String what = "pyspy " + String.join(" ", args) + "\n" + r;
        assertEquals(2, r.exitCode(), what);
        assertEquals(1, r.stderr().strip().lines().count(), "one line on stderr: " + what);
        assertTrue(r.stderr().startsWith("pyspy"), what);
        assertFalse(r.stderr().contains("Exception") || r.stderr().contains("\tat "), what);
    }

    static boolean isStopped(int pid) throws Exception {
        char state = TargetProcess.state(pid);
        return state == 't' || state == 'T';
    }
}
