package dev.pyspy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code dump --locals} shows numpy scalars by value, as py-spy does: the target has a local of each
 * kind and writes what each must show (numpy's own {@code str}; bools as py-spy's {@code true}); the
 * JSON and the text dump must show exactly that. Skipped on interpreters without numpy.
 */
@NeedsRoot
class NumpyScalarLocalsTest {
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("numpy_locals.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all().stream().filter(i -> i.root() == null).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void numpyScalarsShowTheirValues(Interpreter python) throws Exception {
        assumeTrue(python.canImport("numpy"), "numpy is not installed for " + python);
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("numpy_locals.py"))) {
            JsonNode expected = new ObjectMapper().readTree(target.awaitReady());
            assertTrue(expected.size() >= 20, expected.toString());
            String pid = Integer.toString(target.pid());

            PyspyCli.Result json = PyspyCli.run("dump", "--json", "-l", "-p", pid);
            assertEquals(0, json.exitCode(), json.toString());
            JsonNode frame = new ObjectMapper().readTree(json.stdout()).get(0).get("frames").get(0);
            assertEquals("numpy_locals", frame.get("name").asText(), frame.toString());
            Map<String, String> shown = new HashMap<>();
            frame.get("locals").forEach(v -> shown.put(v.get("name").asText(), v.get("repr").asText()));

            PyspyCli.Result text = PyspyCli.run("dump", "-l", "-p", pid);
            assertEquals(0, text.exitCode(), text.toString());
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                if (e.getValue().isNull()) {
                    assertTrue(shown.get(name).matches("<numpy\\.\\w+ at 0x[0-9a-f]+>"), name + ": " + shown.get(name));
                    continue;
                }
                String want = e.getValue().asText();
                assertEquals(want, shown.get(name), name);
                assertTrue(text.stdout().contains("\n            " + name + ": " + want + "\n"), name + ": " + text.stdout());
            }
        }
    }

}
