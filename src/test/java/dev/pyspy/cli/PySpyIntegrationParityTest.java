package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * py-spy's own integration tests ({@code tests/integration_test.rs}, {@code tests/integration_test.py}),
 * translated to pyspy's command line, on every interpreter on the host: each case asserts what
 * py-spy's asserts, with the scripts (written afresh, same shape and line numbers) started the way
 * py-spy's tests start them, by a relative path ({@code python ./scripts/longsleep.py}). Where pyspy
 * differs on purpose (README, "Differences from py-spy") the case says so. The process-tree cases
 * ({@code test_subprocesses}, {@code test_delayed_subprocess}) live with the {@code -s} tests.
 *
 * <p>With {@code PYSPY_REFERENCE} (environment, or the system property {@code pyspy.reference}) naming
 * a py-spy executable, every case also runs with py-spy's command line in pyspy's place, asserting the
 * same, except where pyspy differs on purpose: there the py-spy case asserts py-spy's behaviour. Without
 * it only pyspy's cases exist (the tests never need py-spy). The results of such a run are in
 * docs/compatibility.md.
 */
@NeedsRoot
class PySpyIntegrationParityTest {
    private static final List<String> SCRIPTS = List.of("longsleep.py", "busyloop.py", "thread_names.py",
            "recursive.py", "unicode_poo.py", "cyrillic.py", "local_vars.py", "local_vars_numpy.py",
            "waiting_threads.py");
    /** pyspy's summary ends in "Passes: N"; py-spy's does not. */
    private static final Pattern SUMMARY = Pattern.compile("Samples: (\\d+) Errors: (\\d+)(?: Passes: (\\d+))?");
    /** Sampling passes py-spy makes in a 1 s recording at its default rate (it does not report them). */
    private static final long PY_SPY_PASSES = 100;
    private static final String REFERENCE = reference();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path workDir;

    @BeforeAll
    static void copyScripts() throws IOException {
        workDir = Files.createTempDirectory("pyspy-parity");
        Path scripts = Files.createDirectory(workDir.resolve("scripts"));
        for (String name : SCRIPTS) {
            try (InputStream in = PySpyIntegrationParityTest.class.getResourceAsStream("/pyspy_parity/" + name)) {
                // py-spy's script has a non-ASCII file name, which a class path resource cannot have
                Files.copy(in, scripts.resolve(name.replace("_poo", "\uD83D\uDCA9")));
            }
        }
    }

    /** Whose command line a case runs. */
    enum Tool {
        PYSPY("pyspy"), PY_SPY("py-spy");

        private final String label;

        Tool(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The py-spy executable to compare with, or null. */
    private static String reference() {
        String path = System.getProperty("pyspy.reference");
        if (path == null || path.isBlank()) {
            path = System.getenv("PYSPY_REFERENCE");
        }
        return path == null || path.isBlank() ? null : path;
    }

    /** Interpreters on the host (py-spy's tests run the script by a path relative to their directory), with each tool. */
    static Stream<Arguments> interpreters() {
        return cases(i -> true);
    }

    static Stream<Arguments> python3() {
        return cases(i -> !i.isPython2());
    }

    private static Stream<Arguments> cases(Predicate<Interpreter> which) {
        List<Tool> tools = REFERENCE == null ? List.of(Tool.PYSPY) : List.of(Tool.PYSPY, Tool.PY_SPY);
        return Interpreters.all().stream().filter(i -> i.root() == null).filter(which)
                .flatMap(i -> tools.stream().map(t -> Arguments.of(i, t)));
    }

    /** Runs {@code args} with the tool's command line. */
    private static PyspyCli.Result run(Tool tool, String... args) throws IOException, InterruptedException {
        if (tool == Tool.PYSPY) {
            return PyspyCli.run(args);
        }
        List<String> command = new java.util.ArrayList<>(List.of(REFERENCE));
        command.addAll(List.of(args));
        return PyspyCli.runCommand(command, 60);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void longSleep(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "longsleep.py")) {
            JsonNode threads = s.dumpUntil(t -> frameName(t, 0).equals("longsleep"));
            assertEquals(1, threads.size(), threads.toString());
            JsonNode frames = threads.get(0).get("frames");
            assertFrame(frames.get(0), "longsleep", 5, "longsleep.py");
            assertFrame(frames.get(1), "<module>", 9, "longsleep.py");
            assertFalse(threads.get(0).get("owns_gil").asBoolean());
            assertTrue(frames.get(1).get("is_shim_entry").asBoolean(), "the outermost frame: " + frames);

            // --gil: ~no samples; --idle: nearly all in the sleep
            assertTrue(s.record("--gil").samples <= 5, "a sleeping program holds no GIL");
            Recording idle = s.record("--idle");
            long inSleep = idle.stacks.getOrDefault("<module> (longsleep.py:9);longsleep (longsleep.py:5)", 0L);
            assertTrue(inSleep >= 0.95 * idle.samples, "most frequent stack: " + idle.stacks);
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void busyLoop(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "busyloop.py")) {
            JsonNode threads = s.dumpUntil(t -> frameName(t, 0).endsWith("busy"));
            assertTrue(threads.get(0).get("active").asBoolean(), threads.toString());
            Recording gil = s.record("--gil");
            // ~every pass finds the one thread holding the GIL (py-spy: >= 95 of 100)
            assertTrue(gil.samples >= 0.8 * gil.passes, gil.summary);
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void threadNamesAndMainThreadFirst(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "thread_names.py")) {
            // py-spy reads no thread names on 2.7 (its own test asserts none there); pyspy does (on purpose)
            boolean named = tool == Tool.PYSPY || !python.isPython2();
            JsonNode threads = s.dumpUntil(t -> t.size() == 11 && (!named || namesOf(t).contains("MainThread"))
                    && allWaiting(t));
            if (!named) {
                threads.forEach(t -> assertFalse(t.hasNonNull("thread_name"), t.toString()));
            } else {
                Set<String> expected = new HashSet<>();
                for (int i = 0; i < 10; i++) {
                    expected.add("CustomThreadName-" + i);
                }
                expected.add("MainThread");
                assertEquals(expected, namesOf(threads));

                // py-spy's text dump lists the main thread first, then threads by creation
                PyspyCli.Result text = run(tool, "dump", "-p", Integer.toString(s.pid()));
                List<String> order = text.stdout().lines().filter(l -> l.startsWith("Thread "))
                        .map(l -> l.substring(l.indexOf('"') + 1, l.lastIndexOf('"'))).toList();
                assertEquals("MainThread", order.get(0), text.stdout());
                for (int i = 0; i < 10; i++) {
                    assertEquals("CustomThreadName-" + i, order.get(i + 1), text.stdout());
                }
            }

            // speedscope: py-spy's frame fields and profile names
            Path out = workDir.resolve("names-" + System.nanoTime() + ".json");
            PyspyCli.Result r = run(tool, "record", "--idle", "-d", "1", "-f", "speedscope", "-o", out.toString(),
                    "-p", Integer.toString(s.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode profile = JSON.readTree(out.toFile());
            for (JsonNode f : profile.get("shared").get("frames")) {
                assertTrue(f.has("col") && f.has("line") && f.has("file"), "py-spy's Frame(file, name, line, col): " + f);
            }
            Set<String> profileNames = new HashSet<>();
            profile.get("profiles").forEach(p -> profileNames.add(p.get("name").asText()));
            if (named) {
                assertTrue(profileNames.stream().anyMatch(n -> n.matches("Thread \\d+ \"MainThread\"")), profileNames.toString());
                assertTrue(profileNames.stream().anyMatch(n -> n.matches("Thread \\d+ \"CustomThreadName-9\"")),
                        profileNames.toString());
            }

            // --plain-names: py-spy's labels (run, not Thread.run on 3.11+), so the two profiles diff; py-spy's own are plain
            Recording plain = tool == Tool.PYSPY ? s.record("--idle", "--plain-names") : s.record("--idle");
            assertTrue(plain.stacks.keySet().stream().anyMatch(k -> k.contains(";wait_named (thread_names.py:8)")
                    && k.contains("_bootstrap_inner (threading.py:")), plain.stacks.toString());
            assertTrue(plain.stacks.keySet().stream().noneMatch(k -> k.contains("Thread.") || k.contains("Event.")),
                    plain.stacks.toString());
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void recursive(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "recursive.py")) {
            s.dumpUntil(t -> frameName(t, 0).endsWith("recurse"));
            for (int i = 0; i < 5; i++) {
                JsonNode frames = s.dump().get(0).get("frames");
                assertTrue(frames.size() <= 22, frames.toString());
                JsonNode top = frames.get(frames.size() - 1);
                assertEquals("<module>", top.get("name").asText());
                int line = top.get("line").asInt();
                assertTrue(line == 7 || line == 8, "the loop's lines: " + top);
            }
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void unicodeFileName(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "unicode\uD83D\uDCA9.py")) {
            JsonNode threads = s.dumpUntil(t -> frameName(t, 0).equals("function1"));
            JsonNode frames = threads.get(0).get("frames");
            assertFrame(frames.get(0), "function1", 6, "unicode\uD83D\uDCA9.py");
            assertFrame(frames.get(1), "<module>", 9, "unicode\uD83D\uDCA9.py");
            assertFalse(threads.get(0).get("owns_gil").asBoolean());
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("python3")
    void cyrillicNames(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "cyrillic.py")) {
            JsonNode frames = s.dumpUntil(t -> frameName(t, 0).equals("кириллица")).get(0).get("frames");
            assertEquals(4, frames.get(0).get("line").asInt());
            assertEquals("<module>", frames.get(1).get("name").asText());
            assertEquals(7, frames.get(1).get("line").asInt());
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void localVariables(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "local_vars.py")) {
            s.dumpUntil(t -> frameName(t, 0).equals("local_variable_lookup"));
            JsonNode locals = s.locals();
            assertEquals(9, locals.size(), locals.toString());
            String[] names = {"arg1", "arg2", "arg3", "local1", "local2", "local3", "local4", "local5", "local6"};
            for (int i = 0; i < names.length; i++) {
                assertEquals(names[i], locals.get(i).get("name").asText());
                assertEquals(i < 3, locals.get(i).get("arg").asBoolean(), locals.get(i).toString());
            }
            assertCommonLocals(python, tool, locals);
        }
    }

    /** py-spy's {@code test_local_vars} as it is now, with numpy scalars (skipped where numpy is not installed). */
    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("interpreters")
    void numpyScalarLocals(Interpreter python, Tool tool) throws Exception {
        assumeTrue(python.canImport("numpy"), "numpy is not installed for " + python);
        try (Script s = Script.start(python, tool, "local_vars_numpy.py")) {
            s.dumpUntil(t -> frameName(t, 0).equals("local_variable_lookup"));
            JsonNode locals = s.locals();
            assertEquals(29, locals.size(), locals.toString());
            for (int i = 0; i < 29; i++) {
                assertEquals(i < 3 ? "arg" + (i + 1) : "local" + (i - 2), locals.get(i).get("name").asText());
            }
            assertCommonLocals(python, tool, locals);
            String[] values = {"true", "2", "3", "42", "43", "44", "45", "46", "7", "8"};
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], local(locals, 7 + i), "local" + (7 + i));
            }
            // py-spy shows ulonglong and float16 as objects; pyspy shows their values (on purpose)
            if (tool == Tool.PY_SPY) {
                assertTrue(local(locals, 17).startsWith("<numpy.ulonglong at"), local(locals, 17));
                assertTrue(local(locals, 18).startsWith("<numpy.float16 at"), local(locals, 18));
            } else {
                assertEquals("11", local(locals, 17));
                assertEquals("0.3", local(locals, 18));
            }
            assertEquals("0.5", local(locals, 19));
            assertEquals("0.7", local(locals, 20));
            String[] objects = {"longdouble", "complex64", "complex128", "clongdouble"};
            for (int i = 0; i < objects.length; i++) {
                assertTrue(local(locals, 21 + i).startsWith("<numpy." + objects[i] + " at"), local(locals, 21 + i));
            }
            String q = quote(tool);
            assertTrue(local(locals, 25).startsWith(q + "\u6d4b\u8bd51"), local(locals, 25));
            assertEquals(q + q, local(locals, 26));
        }
    }

    /** What py-spy's {@code test_local_vars} asserts of the arguments and local1 to local5. */
    private static void assertCommonLocals(Interpreter python, Tool tool, JsonNode locals) {
        // strings: pyspy writes Python's repr ('foo'), py-spy its own double quotes (a documented difference)
        String q = quote(tool);
        assertTrue(repr(locals, 0).matches("u?" + q + "foo" + q), repr(locals, 0));
        assertEquals("None", repr(locals, 1));
        assertEquals("True", repr(locals, 2));
        assertEquals("[-1234, 5678]", repr(locals, 3));
        assertTrue(repr(locals, 4).matches("\\(u?" + q + "a" + q + ", u?" + q + "b" + q + ", u?" + q + "c" + q + "\\)"),
                repr(locals, 4));
        assertEquals("123456789123456789", repr(locals, 5).replace("L", ""));
        assertEquals("3.1415", repr(locals, 6));
        if (!python.isPython2()) {
            assertEquals("{" + q + "a" + q + ": False, " + q + "b" + q + ": (1, 2, 3)}", repr(locals, 7));
        }
    }

    private static String quote(Tool tool) {
        return tool == Tool.PY_SPY ? "\"" : "'";
    }

    private static String repr(JsonNode locals, int index) {
        return locals.get(index).get("repr").asText();
    }

    /** The repr of {@code localN}, after the three arguments. */
    private static String local(JsonNode locals, int n) {
        JsonNode v = locals.get(n + 2);
        assertEquals("local" + n, v.get("name").asText());
        return v.get("repr").asText();
    }


    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("python3")
    void waitingThreadsAreIdleUnlessAskedFor(Interpreter python, Tool tool) throws Exception {
        try (Script s = Script.start(python, tool, "waiting_threads.py")) {
            s.dumpUntil(t -> t.size() == 7 && namesOf(t).contains("polling_select"));
            Recording byDefault = s.record();
            Recording idle = s.record("--idle");
            for (String waiting : List.of("blocked_select", "blocked_accept", "blocked_lock", "blocked_wait")) {
                assertEquals(0, samplesThrough(byDefault, waiting), waiting + " is idle by default: " + byDefault.stacks);
                assertTrue(samplesThrough(idle, waiting) > 0, waiting + " with --idle: " + idle.stacks);
            }
            // the polling thread runs (the kernel says R), but a sample standing in select is a waiting one
            assertEquals(0, samplesIn(byDefault, "polling_select", "select (selectors.py:"), byDefault.stacks.toString());
            assertTrue(samplesIn(idle, "polling_select", "select (selectors.py:") > 0, idle.stacks.toString());
            assertTrue(samplesThrough(byDefault, "working") > 0, byDefault.stacks.toString());
        }
    }

    private static long samplesThrough(Recording r, String function) {
        Pattern frame = Pattern.compile("(^|;)(\\w+\\.)?" + function + " \\(");
        return r.stacks.entrySet().stream().filter(e -> frame.matcher(e.getKey()).find())
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Samples through {@code function} whose innermost frame starts with {@code innermost} (or its qualified form). */
    private static long samplesIn(Recording r, String function, String innermost) {
        return r.stacks.entrySet().stream().filter(e -> e.getKey().contains(function + " (")
                && e.getKey().substring(e.getKey().lastIndexOf(';') + 1).replaceFirst("^\\w+\\.", "").startsWith(innermost))
                .mapToLong(Map.Entry::getValue).sum();
    }

    private static void assertFrame(JsonNode frame, String name, int line, String shortFilename) {
        assertEquals(name, frame.get("name").asText(), frame.toString());
        assertEquals(line, frame.get("line").asInt(), frame.toString());
        assertEquals(shortFilename, frame.get("short_filename").asText(), frame.toString());
    }

    private static String frameName(JsonNode threads, int index) {
        JsonNode frames = threads.size() == 0 ? null : threads.get(0).get("frames");
        if (frames == null || frames.size() <= Math.max(index, 0)) {
            return "";
        }
        return frames.get(index).get("name").asText();
    }

    private static Set<String> namesOf(JsonNode threads) {
        Set<String> names = new HashSet<>();
        threads.forEach(t -> names.add(t.path("thread_name").asText()));
        return names;
    }

    private static boolean allWaiting(JsonNode threads) {
        for (JsonNode t : threads) {
            JsonNode frames = t.get("frames");
            if (frames.size() == 0 || !frames.get(frames.size() - 1).get("name").asText().matches(".*(<module>|_bootstrap)")) {
                return false;
            }
        }
        return true;
    }

    /** A recording's summary and its raw stacks (file-name labels, as {@code -f raw} writes them). */
    private record Recording(long samples, long passes, String summary, Map<String, Long> stacks) {
    }

    /** A script started as py-spy's tests start theirs: {@code python ./scripts/NAME} from the work directory. */
    private record Script(Process process, Tool tool) implements AutoCloseable {
        static Script start(Interpreter python, Tool tool, String name) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(python.command("./scripts/" + name)).directory(workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(workDir.resolve(name + ".log").toFile());
            pb.environment().put("PYTHONIOENCODING", "utf-8");
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            return new Script(pb.start(), tool);
        }

        int pid() {
            return (int) process.pid();
        }

        JsonNode dump() throws Exception {
            PyspyCli.Result r = run(tool, "dump", "--json", "-p", Integer.toString(pid()));
            assertEquals(0, r.exitCode(), r.toString());
            return JSON.readTree(r.stdout());
        }

        /** The innermost frame's locals ({@code dump -l --json}) of the one thread, whose stack has two frames. */
        JsonNode locals() throws Exception {
            PyspyCli.Result r = run(tool, "dump", "-l", "--json", "-p", Integer.toString(pid()));
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode threads = JSON.readTree(r.stdout());
            assertEquals(1, threads.size(), r.stdout());
            JsonNode frames = threads.get(0).get("frames");
            assertEquals(2, frames.size(), r.stdout());
            return frames.get(0).get("locals");
        }

        /** Dumps until the stacks show what the script reaches once started (imports take a while). */
        JsonNode dumpUntil(Predicate<JsonNode> reached) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String last = "";
            while (System.nanoTime() < deadline && process.isAlive()) {
                PyspyCli.Result r = run(tool, "dump", "--json", "-p", Integer.toString(pid()));
                last = r.toString();
                if (r.exitCode() == 0) {
                    JsonNode threads = JSON.readTree(r.stdout());
                    if (reached.test(threads)) {
                        return threads;
                    }
                }
            }
            fail("the script did not reach its state: " + last + " " + Files.readString(
                    workDir.resolve(process.info().arguments().map(a -> a[a.length - 1]).orElse("x").substring(2) + ".log")));
            return null;
        }

        Recording record(String... options) throws Exception {
            Path out = workDir.resolve("rec-" + System.nanoTime() + ".txt");
            List<String> args = new java.util.ArrayList<>(List.of("record", "-d", "1", "-f", "raw", "-o", out.toString(),
                    "-p", Integer.toString(pid())));
            args.addAll(List.of(options));
            PyspyCli.Result r = run(tool, args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r.toString());
            Matcher m = SUMMARY.matcher(r.stderr() + r.stdout());
            assertTrue(m.find(), r.toString());
            Map<String, Long> stacks = new HashMap<>();
            for (String line : Files.readAllLines(out)) {
                int space = line.lastIndexOf(' ');
                stacks.merge(line.substring(0, space), Long.parseLong(line.substring(space + 1)), Long::sum);
            }
            long passes = m.group(3) != null ? Long.parseLong(m.group(3)) : PY_SPY_PASSES;
            return new Recording(Long.parseLong(m.group(1)), passes, r.toString(), stacks);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
