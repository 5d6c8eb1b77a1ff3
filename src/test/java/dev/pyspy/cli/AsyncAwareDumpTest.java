package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.ExitCode;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code dump --async-aware} against every interpreter from 3.8 on: the target builds a known task
 * structure and writes its own truth (asyncio.all_tasks(), each task's cr_await chain, what it waits
 * on, which task awaits which); the dump must equal it. Older versions are refused.
 */
@NeedsRoot
class AsyncAwareDumpTest {
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("asyncio_target.py", "stacks_target.py", "unicode_target.py");
    }

    static List<Interpreter> asyncioInterpreters() {
        return Interpreters.all().stream().filter(AsyncAwareDumpTest::hasAsyncSupport).toList();
    }

    static boolean hasAsyncSupport(Interpreter python) {
        String[] mm = python.majorMinor().replace("t", "").split("\\.");
        return Integer.parseInt(mm[0]) == 3 && Integer.parseInt(mm[1]) >= 8;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("asyncioInterpreters")
    void dumpAsyncAwareJsonEqualsTheTargetsOwnTasks(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_target.py"))) {
            JsonNode truth = target.truth(60);
            PyspyCli.Result r = PyspyCli.run("dump", "--async-aware", "--json", "--full-filenames",
                    "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode dump = new ObjectMapper().readTree(r.stdout());
            Map<Long, String> names = new HashMap<>();
            Map<String, JsonNode> byName = new TreeMap<>();
            for (JsonNode t : dump) {
                names.put(t.get("task_id").asLong(), t.get("name").asText());
                byName.put(t.get("name").asText(), t);
                assertEquals(target.pid(), t.get("pid").asInt());
            }
            TreeSet<String> want = new TreeSet<>();
            truth.get("tasks").forEach(t -> want.add(t.get("name").asText()));
            assertEquals(want, byName.keySet(), "the tasks of asyncio.all_tasks()\n" + r.stdout());
            for (JsonNode t : truth.get("tasks")) {
                String name = t.get("name").asText();
                JsonNode d = byName.get(name);
                String state = t.get("state").asText();
                assertEquals(state, d.get("state").asText(), "state of task " + name);
                assertEquals(frames(t.get("frames"), state.equals("running")), frames(d.get("frames"), state.equals("running")),
                        "coroutine chain of task " + name);
                if (t.get("waiting_on").isNull()) {
                    assertTrue(d.get("waiting_on").isNull(), "task " + name + " waits on nothing\n" + d);
                } else {
                    String type = d.get("waiting_on").get("type").asText();
                    assertEquals(t.get("waiting_on").asText(), type.substring(type.lastIndexOf('.') + 1),
                            "what task " + name + " waits on");
                }
                TreeSet<String> awaitedBy = new TreeSet<>();
                t.get("awaited_by").forEach(n -> awaitedBy.add(n.asText()));
                TreeSet<String> got = new TreeSet<>();
                d.get("awaited_by").forEach(id -> got.add(names.getOrDefault(id.asLong(), "?" + id)));
                assertEquals(awaitedBy, got, "tasks awaiting " + name);
            }
            assertEquals(1, truth.get("tasks").findValuesAsText("state").stream().filter("running"::equals).count());
        }
    }

    /**
     * "name (file:line)" per frame, innermost first; the running task's innermost line is where its
     * spin loop is now, not where it wrote the truth: only its name is compared.
     */
    private static List<String> frames(JsonNode frames, boolean running) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            JsonNode f = frames.get(i);
            boolean lineKnown = !(running && i == 0);
            out.add(f.get("name").asText() + " (" + f.get("filename").asText()
                    + (lineKnown ? ":" + f.get("line").asInt() : "") + ")");
        }
        return out;
    }

    @Test
    void textDumpNamesEachTaskItsStateAndWhoAwaitsIt() throws Exception {
        List<Interpreter> all = asyncioInterpreters();
        assumeTrue(!all.isEmpty(), "no Python 3.8+ on this machine");
        Interpreter python = all.get(all.size() - 1);
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_target.py"))) {
            target.truth(60);
            PyspyCli.Result r = PyspyCli.run("dump", "--async-aware", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            List<String> lines = r.stdout().lines().toList();
            assertTrue(lines.get(0).startsWith("Process " + target.pid() + ": "), r.stdout());
            assertTrue(lines.stream().anyMatch(l -> l.matches(
                    "Task \"w-busy\" \\(running in thread 0x[0-9A-F]+; awaited by \"gatherer\"\\)")), r.stdout());
            assertTrue(lines.contains("Task \"gatherer\" (waiting on _GatheringFuture \"w-busy\", \"w-1\", \"w-2\")"),
                    r.stdout());
            // "awaited" is of a subclass of asyncio.Task: a task all the same, named by its class
            assertTrue(lines.contains("Task \"awaiter\" (waiting on TrackedTask \"awaited\")"), r.stdout());
            int busy = lines.indexOf(lines.stream().filter(l -> l.startsWith("Task \"w-busy\"")).findFirst().orElseThrow());
            assertEquals(List.of("    hold (asyncio_target.py:88)", "    level3 (asyncio_target.py:95)",
                    "    level2 (asyncio_target.py:100)", "    level1 (asyncio_target.py:104)"),
                    lines.subList(busy + 1, busy + 5), r.stdout());
        }
    }

    @Test
    void versionsBefore38AreRefusedNamingTheOnesThatWork() throws Exception {
        List<Interpreter> old = Interpreters.all().stream().filter(p -> !hasAsyncSupport(p)).toList();
        assumeTrue(!old.isEmpty(), "no Python older than 3.8 on this machine");
        for (Interpreter python : old) {
            try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
                target.truth(60);
                PyspyCli.Result r = PyspyCli.run("dump", "--async-aware", "-p", Integer.toString(target.pid()));
                assertEquals(ExitCode.UNSUPPORTED_VERSION.code, r.exitCode(), python + ": " + r);
                assertEquals("", r.stdout(), python + ": " + r);
                List<String> err = r.stderr().lines().toList();
                assertEquals(1, err.size(), python + ": " + r);
                assertTrue(err.get(0).matches("pyspy: --async-aware cannot read the asyncio tasks of .*"
                        + python.majorMinor() + ".*: it reads CPython 3\\.8 to 3\\.15.*"), python + ": " + r);
                char state = TargetProcess.state(target.pid());
                assertTrue(state != 'T' && state != 't', python + ": the target was left stopped (" + state + ")");
            }
        }
    }
}
