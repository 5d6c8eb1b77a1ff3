package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 20,000-deep recursion in the main thread: every output keeps the stack's root ({@code <module>})
 * and its innermost frames, with one {@code <N frames omitted>} frame where the middle was cut. The
 * target counts its own frames, so N is known exactly.
 */
@NeedsRoot
class DeepStackTest {
    private static final int DEPTH = 20_000;
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("deep_target.py");
    }

    /** Both frame models and a provisioned 3.14: the first interpreter found of each version. */
    static List<Interpreter> interpreters() {
        Map<String, Interpreter> first = new LinkedHashMap<>();
        for (Interpreter i : Interpreters.all()) {
            if (List.of("2.7", "3.9", "3.12", "3.14").contains(i.majorMinor())) {
                first.putIfAbsent(i.majorMinor(), i);
            }
        }
        return List.copyOf(first.values());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void aCutStackKeepsItsRootAndSaysWhatWasLeftOut(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("deep_target.py"),
                Integer.toString(DEPTH))) {
            JsonNode truth = target.truth(60);
            int frames = truth.get("frames").asInt();
            assertTrue(frames > DEPTH, "the target's own count: " + truth);
            String marker = "<" + (frames - (RawThreadStack.MAX_FRAMES - 1)) + " frames omitted>";
            String recurse = "recurse (deep_target.py:" + truth.get("recurse_line").asInt() + ")";
            String pid = Integer.toString(target.pid());

            PyspyCli.Result text = PyspyCli.run(120, "dump", "-p", pid);
            assertEquals(0, text.exitCode(), text.toString());
            List<String> lines = text.stdout().lines().filter(l -> l.startsWith("    ")).map(String::strip).toList();
            assertEquals(RawThreadStack.MAX_FRAMES, lines.size(), "frames shown");
            assertTrue(lines.get(0).startsWith("park (deep_target.py:"), lines.get(0));
            assertTrue(lines.get(lines.size() - 1).startsWith("<module> (deep_target.py:"), lines.get(lines.size() - 1));
            assertEquals(1, lines.stream().filter(l -> l.contains("omitted")).count());
            int at = lines.indexOf(marker);
            assertTrue(at > 0, "marker " + marker + " missing");
            assertEquals(recurse, lines.get(at - 1));
            assertEquals(recurse, lines.get(at + 1));

            PyspyCli.Result json = PyspyCli.run(120, "dump", "--json", "-p", pid);
            assertEquals(0, json.exitCode(), json.toString());
            JsonNode stack = new ObjectMapper().readTree(json.stdout()).get(0).get("frames");
            assertEquals(RawThreadStack.MAX_FRAMES, stack.size());
            assertEquals("<module>", stack.get(stack.size() - 1).get("name").asText());
            assertEquals(marker, stack.get(at).get("name").asText());
            assertTrue(stack.get(at).get("filename").isNull(), "the marker is not Python code: " + stack.get(at));

            Path raw = Files.createTempFile(scripts, "deep", ".txt");
            Path svg = Files.createTempFile(scripts, "deep", ".svg");
            for (String[] output : List.of(new String[]{"raw", raw.toString()}, new String[]{"flamegraph", svg.toString()})) {
                PyspyCli.Result r = PyspyCli.run(120, "record", "--idle", "-d", "1", "-r", "20", "-f", output[0],
                        "-o", output[1], "-p", pid);
                assertEquals(0, r.exitCode(), r.toString());
            }
            List<String> collapsed = Files.readAllLines(raw);
            assertFalse(collapsed.isEmpty(), "no samples recorded");
            for (String line : collapsed) {
                String[] frameLabels = line.substring(0, line.lastIndexOf(' ')).split(";");
                assertEquals(RawThreadStack.MAX_FRAMES, frameLabels.length);
                assertTrue(frameLabels[0].startsWith("<module> (deep_target.py:"), frameLabels[0]);
                assertEquals(marker, frameLabels[frameLabels.length - 1 - at]);
                assertTrue(frameLabels[frameLabels.length - 1].startsWith("park (deep_target.py:"));
            }
            String page = Files.readString(svg);
            assertTrue(page.contains(">&lt;module&gt; (deep_target.py:"), "root missing from the flame graph");
            assertTrue(page.contains(">" + marker.replace("<", "&lt;").replace(">", "&gt;") + " ("),
                    "marker missing from the flame graph");
        }
    }
}
