package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code pyspy dump} against every interpreter on the machine: the target writes its own stacks
 * (sys._current_frames) and parks; the dump must equal that truth exactly.
 */
@NeedsRoot
class DumpIntegrationTest {
    private static final Set<String> EXERCISED = ConcurrentHashMap.newKeySet();
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("stacks_target.py", "unicode_target.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void dumpEqualsTheTargetsOwnStacks(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
            JsonNode truth = target.truth(30);
            if (python.forks()) {
                // container-like (pivot_root): the target's maps name an executable the host does not have
                Path proc = Path.of("/proc", Integer.toString(target.pid()));
                assertEquals(python.path(), java.nio.file.Files.readSymbolicLink(proc.resolve("exe")));
                assertTrue(java.nio.file.Files.readString(proc.resolve("maps")).contains(" " + python.path() + "\n"));
                assertFalse(java.nio.file.Files.exists(python.path()), python.path() + " exists on the host too");
            }
            PyspyCli.Result r = PyspyCli.run("dump", "--json", "--full-filenames", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode dump = new ObjectMapper().readTree(r.stdout());
            Map<String, JsonNode> byName = new HashMap<>();
            for (JsonNode t : dump) {
                byName.put(t.path("thread_name").asText(null), t);
            }
            List<String> expectedNames = new ArrayList<>(List.of("MainThread", "sleeper", "recursive", "method",
                    "generator", "spinner"));
            if (!python.isPython2()) {
                expectedNames.add("non-ascii ✓");
            }
            for (String name : expectedNames) {
                assertTrue(byName.containsKey(name), "thread " + name + " missing from dump:\n" + r.stdout());
            }
            for (JsonNode t : truth.get("threads")) {
                String name = t.get("name").asText();
                JsonNode d = byName.get(name);
                assertNotNull(d, "thread " + name + " missing from dump:\n" + r.stdout());
                assertFrames(name, t.get("frames"), d.get("frames"));
                assertEquals(t.get("active").asBoolean(), d.get("active").asBoolean(), "active flag of " + name);
                if (!t.get("native_id").isNull()) {
                    assertEquals(t.get("native_id").asLong(), d.get("os_thread_id").asLong(), "os tid of " + name);
                }
                assertTrue(d.get("os_thread_id").asLong() > 0, "os tid of " + name + " known");
                if (!t.get("active").asBoolean()) {
                    assertFalse(d.get("owns_gil").asBoolean(), "sleeping thread " + name + " cannot hold the GIL");
                }
                if (python.freeThreaded()) {
                    assertFalse(d.get("owns_gil").asBoolean(), "free-threaded: no thread holds a GIL (" + name + ")");
                }
            }
            EXERCISED.add(python.id());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void stacksDeeperThanOneDataStackChunkAreReadWhole(Interpreter python) throws Exception {
        // 900 frames need several 16 KiB data-stack chunks on 3.11+; older versions chain frame objects.
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"), "900")) {
            JsonNode truth = target.truth(60);
            for (boolean nonblocking : new boolean[]{true, false}) {
                List<String> args = new ArrayList<>(List.of("dump", "--json", "--full-filenames", "-p",
                        Integer.toString(target.pid())));
                if (nonblocking) {
                    args.add("--nonblocking");
                }
                PyspyCli.Result r = PyspyCli.run(args.toArray(new String[0]));
                assertEquals(0, r.exitCode(), r.toString());
                JsonNode recursive = threadNamed(r, "recursive");
                for (JsonNode t : truth.get("threads")) {
                    if (t.get("name").asText().equals("recursive")) {
                        assertTrue(t.get("frames").size() > 900);
                        assertFrames("recursive", t.get("frames"), recursive.get("frames"));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void textDumpShowsHeaderThreadsAndShortFilenames(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
            target.truth(30);
            PyspyCli.Result r = PyspyCli.run("dump", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            List<String> lines = r.stdout().lines().toList();
            assertTrue(lines.get(0).startsWith("Process " + target.pid() + ": "), r.stdout());
            assertTrue(lines.get(0).contains("stacks_target.py"), r.stdout());
            assertTrue(lines.get(1).matches("Python v" + python.majorMinor().replace("t", "") + "\\.\\d+.* \\(.+\\)"), lines.get(1));
            assertTrue(lines.stream().anyMatch(l -> l.matches("Thread \\d+ \\(idle\\): \"sleeper\"")), r.stdout());
            assertTrue(lines.stream().anyMatch(l -> l.matches("Thread \\d+ \\(active(\\+gil)?\\): \"spinner\"")), r.stdout());
            if (python.freeThreaded()) {
                assertFalse(r.stdout().contains("active+gil"), "free-threaded: no GIL holder\n" + r.stdout());
            }
            assertTrue(lines.contains("    park_forever (stacks_target.py:23)"), r.stdout());
            String run = python.hasQualifiedNames() ? "Thread.run" : "run";
            assertTrue(lines.stream().anyMatch(l -> l.matches("    " + run + " \\(threading.py:\\d+\\)")), r.stdout());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void localsShowArgumentsOfEveryRecursionLevel(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
            target.truth(30);
            PyspyCli.Result r = PyspyCli.run("dump", "--json", "-l", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode recursive = threadNamed(r, "recursive");
            int expected = 0;
            for (JsonNode f : recursive.get("frames")) {
                if (!f.get("name").asText().equals("recurse")) {
                    continue;
                }
                Map<String, JsonNode> vars = new HashMap<>();
                f.get("locals").forEach(v -> vars.put(v.get("name").asText(), v));
                assertEquals(Integer.toString(expected), vars.get("n").get("repr").asText(), "n at level " + expected);
                assertTrue(vars.get("n").get("arg").asBoolean());
                assertTrue(vars.get("event").get("repr").asText().matches("<_?Event at 0x[0-9a-f]+>"),
                        vars.get("event").get("repr").asText());
                expected++;
            }
            assertEquals(46, expected, "recursion levels with locals");
            PyspyCli.Result text = PyspyCli.run("dump", "-l", "-p", Integer.toString(target.pid()));
            assertTrue(text.stdout().contains("        Arguments:\n            n: 0\n"), text.stdout());
        }
    }

    /** The thread called {@code name} in a {@code dump --json} result; fails when there is none. */
    private static JsonNode threadNamed(PyspyCli.Result dump, String name) throws java.io.IOException {
        for (JsonNode t : new ObjectMapper().readTree(dump.stdout())) {
            if (name.equals(t.path("thread_name").asText())) {
                return t;
            }
        }
        throw new AssertionError("no thread " + name + " in the dump:\n" + dump.stdout());
    }

    private static void assertFrames(String thread, JsonNode expected, JsonNode actual) {
        List<String> want = new ArrayList<>();
        expected.forEach(f -> want.add(f.get("name").asText() + " (" + f.get("filename").asText() + ":" + f.get("line").asInt() + ")"));
        List<String> got = new ArrayList<>();
        actual.forEach(f -> got.add(f.get("name").asText() + " (" + f.get("filename").asText() + ":" + f.get("line").asInt() + ")"));
        assertEquals(String.join("\n", want), String.join("\n", got), "frames of thread " + thread);
    }

    /**
     * CI exports the interpreters it found on the machine ({@code PYSPY_REQUIRED_INTERPRETERS},
     * space-separated real paths, or manifest names of provisioned interpreters that run in a tree);
     * every one must have been exercised above.
     */
    @AfterAll
    static void everyRequiredInterpreterWasExercised() {
        String required = System.getenv("PYSPY_REQUIRED_INTERPRETERS");
        if (required == null || required.isBlank()) {
            return;
        }
        Set<String> missing = new TreeSet<>();
        for (String want : required.trim().split("\\s+")) {
            if (!EXERCISED.contains(realPath(want))) {
                missing.add(want);
            }
        }
        if (!missing.isEmpty()) {
            fail("interpreters present on this machine but not exercised by dump tests: " + missing
                    + " (exercised: " + EXERCISED + ")");
        }
    }

    private static String realPath(String path) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (java.io.IOException e) {
            return path;
        }
    }

    @Test
    void atLeastOneInterpreterIsPresent() {
        assertFalse(interpreters().isEmpty(), "no Python interpreter found: dump tests would prove nothing");
    }
}
