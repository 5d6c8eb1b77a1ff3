package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Free-threaded interpreters (3.13t): no GIL, so several threads run Python at the same instant,
 * nobody is reported as holding a GIL, and {@code --gil} says it does not apply. Runs on every
 * free-threaded interpreter present (scripts/provision-pythons builds 3.13t static and shared).
 */
@NeedsRoot
class FreeThreadedIntegrationTest {
    private static final Pattern SAMPLES = Pattern.compile("Passes: (\\d+)");
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("threads_spin_target.py");
    }

    static List<Interpreter> freeThreaded() {
        return Interpreters.all().stream().filter(Interpreter::freeThreaded).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("freeThreaded")
    void dumpShowsSeveralThreadsActiveAtOnceAndNoGilHolder(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("threads_spin_target.py"), "4")) {
            JsonNode truth = target.truth(30);
            assertFalse(truth.get("gil_enabled").asBoolean(), "the interpreter runs without a GIL: " + truth);
            String pid = Integer.toString(target.pid());
            int mostActiveAtOnce = 0;
            for (int i = 0; i < 3; i++) {
                PyspyCli.Result r = PyspyCli.run("dump", "--json", "-p", pid);
                assertEquals(0, r.exitCode(), r.toString());
                int active = 0;
                for (JsonNode t : new ObjectMapper().readTree(r.stdout())) {
                    assertFalse(t.get("owns_gil").asBoolean(), "no GIL, no holder: " + t);
                    if (t.path("thread_name").asText().startsWith("spin-") && t.get("active").asBoolean()) {
                        active++;
                    }
                }
                mostActiveAtOnce = Math.max(mostActiveAtOnce, active);
                PyspyCli.Result text = PyspyCli.run("dump", "-p", pid);
                assertEquals(0, text.exitCode(), text.toString());
                assertFalse(text.stdout().contains("active+gil"), text.stdout());
                assertTrue(text.stdout().contains("burn (threads_spin_target.py:"), text.stdout());
            }
            assertTrue(mostActiveAtOnce >= 2, "spinning threads active in one dump: " + mostActiveAtOnce);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("freeThreaded")
    void recordSeesSeveralThreadsPerSampleAndGilDoesNotApply(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("threads_spin_target.py"), "4")) {
            target.truth(30);
            Path out = scripts.resolve("ft-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "--gil", "-r", PyspyCli.RATE, "-d", "2", "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("--gil does not apply"), r.stderr());
            Matcher m = SAMPLES.matcher(r.stderr());
            assertTrue(m.find(), r.stderr());
            long ticks = Long.parseLong(m.group(1));
            long burning = 0;
            for (String line : Files.readAllLines(out)) {
                if (line.contains("burn (")) {
                    burning += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            assertTrue(ticks >= 50, r.stderr());
            // 4 threads burning CPU without a GIL: each sample finds several of them running
            assertTrue(burning >= 2 * ticks, "thread-samples in burn() " + burning + " over " + ticks + " samples");
        }
    }
}
