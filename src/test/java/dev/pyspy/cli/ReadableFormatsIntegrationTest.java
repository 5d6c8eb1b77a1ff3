package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.output.FrameCategory;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TableRows;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The table, gecko and the output-file rules of {@code pyspy record}, against a real interpreter. */
@NeedsRoot
class ReadableFormatsIntegrationTest {
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("ratio_target.py", "spin_target.py", "threads_spin_target.py");
    }

    @Test
    void tableOwnAndTotalColumnsMatchTheWorkloadsOwnSplit() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        Path script = python.stage(scripts.resolve("ratio_target.py"));
        Path truth = script.resolveSibling("ratio-" + System.nanoTime() + ".json");
        Path out = scripts.resolve("table-" + System.nanoTime() + ".txt");
        // over n samples of a 3:1 split the ratio's relative error is about sqrt(16/(3n)): 5 % is 3 sigma
        // from 19 000 samples, 2.3 sigma at 10 000 (a loaded machine skips ticks)
        List<String> args = new ArrayList<>(List.of("record", "-r", "2000", "-f", "table", "-o", out.toString(), "--"));
        args.addAll(python.command(python.inside(script), python.inside(truth), "15"));
        PyspyCli.Result r = PyspyCli.run(120, args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("pyspy> Read it with: less -S " + out), r.stderr());
        JsonNode measured = new ObjectMapper().readTree(truth.toFile());
        double expected = measured.get("heavy_a").asDouble() / measured.get("heavy_b").asDouble();
        List<TableRows.Row> rows = TableRows.parse(Files.readString(out));
        TableRows.Row a = TableRows.of(rows, "heavy_a");
        TableRows.Row b = TableRows.of(rows, "heavy_b");
        TableRows.Row spin = TableRows.of(rows, "spin");
        assertTrue(a.total() + b.total() >= 5000, "enough samples: " + rows);
        assertEquals(expected, (double) a.total() / b.total(), expected * 0.05,
                "total heavy_a/heavy_b " + a + " / " + b + " vs measured CPU " + measured);
        assertEquals(expected, a.totalPercent() / b.totalPercent(), expected * 0.05, "the percent columns agree");
        assertTrue(a.own() <= a.total() * 0.02 && b.own() <= b.total() * 0.02, "their time is spin's own: " + rows);
        assertEquals(spin.total(), spin.own(), spin.total() * 0.02, "spin is a leaf: " + spin);
        assertEquals(spin, rows.get(0), "sorted by own samples");
    }

    /**
     * One threaded target, three recordings: gecko names its threads, counts their samples and finds the
     * hottest function; speedscope opens on MainThread; the SVG colours threading.py as the standard library.
     */
    @Test
    void geckoSpeedscopeAndSvgOfAThreadedProgram() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("threads_spin_target.py"), "2")) {
            target.truth(30);
            Path dir = Files.createTempDirectory(scripts, "gecko");
            Path gecko = dir.resolve("profile.json");
            PyspyCli.Result r = PyspyCli.run("record", "-d", "2", "-r", "200", "--idle", "-f", "gecko", "-o",
                    gecko.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("pyspy> Open it at https://profiler.firefox.com"), r.stderr());
            JsonNode root = new ObjectMapper().readTree(gecko.toFile());
            Map<String, Integer> samplesByThread = new HashMap<>();
            Map<String, Integer> leafFunctions = new HashMap<>();
            JsonNode strings = root.get("shared").get("stringArray");
            for (JsonNode t : root.get("threads")) {
                samplesByThread.put(t.get("name").asText(), t.get("samples").get("length").asInt());
                for (JsonNode s : t.get("samples").get("stack")) {
                    int frame = t.get("stackTable").get("frame").get(s.asInt()).asInt();
                    int func = t.get("frameTable").get("func").get(frame).asInt();
                    leafFunctions.merge(strings.get(t.get("funcTable").get("name").get(func).asInt()).asText(), 1,
                            Integer::sum);
                }
            }
            assertEquals("MainThread", root.get("threads").get(0).get("name").asText(), "the main thread first");
            assertTrue(samplesByThread.keySet().containsAll(List.of("MainThread", "spin-0", "spin-1")),
                    samplesByThread.toString());
            // with --idle every thread is in every tick that read the process without an error
            Matcher counts = Pattern.compile("Samples: \\d+ Errors: (\\d+) Passes: (\\d+)").matcher(r.stderr());
            assertTrue(counts.find(), r.stderr());
            long ticks = Long.parseLong(counts.group(2));
            long errors = Long.parseLong(counts.group(1));
            assertTrue(ticks > 0, r.stderr());
            for (String thread : List.of("MainThread", "spin-0", "spin-1")) {
                long n = samplesByThread.get(thread);
                assertTrue(n >= ticks - errors && n <= ticks, thread + ": " + samplesByThread + "\n" + r.stderr());
            }
            String hottest = leafFunctions.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            assertEquals("burn", hottest, leafFunctions.toString());

            Path speedscope = dir.resolve("profile.speedscope.json");
            assertEquals(0, PyspyCli.run("record", "-d", "1", "-r", "200", "--idle", "-o", speedscope.toString(),
                    "-p", Integer.toString(target.pid())).exitCode(), "the .json ending is speedscope");
            JsonNode ss = new ObjectMapper().readTree(speedscope.toFile());
            String opened = ss.get("profiles").get(ss.get("activeProfileIndex").asInt()).get("name").asText();
            assertTrue(opened.endsWith(" \"MainThread\""), opened);

            // the SVG's colours follow the full path: threading.py (a short label) is the standard library
            Path svg = dir.resolve("profile.svg");
            assertEquals(0, PyspyCli.run("record", "-d", "1", "-r", "200", "-o", svg.toString(), "-p",
                    Integer.toString(target.pid())).exitCode());
            Matcher frame = Pattern.compile("<title>((?:Thread\\.)?_bootstrap_inner) \\(threading\\.py:\\d+\\)[^<]*</title>"
                    + "<rect [^>]*").matcher(Files.readString(svg));
            assertTrue(frame.find(), "a threading.py frame with its short name");
            String expected = "fill=\"" + FrameCategory.STDLIB.color(frame.group(1)) + "\"";
            assertTrue(frame.group().contains(expected), frame.group() + " should have " + expected);
        }
    }

    @Test
    void recordWritesTheFormatTheOutputEndingNamesAndSaysHowToOpenIt() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            Path html = Files.createTempDirectory(scripts, "html").resolve("out.html");
            PyspyCli.Result r = PyspyCli.run("record", "-d", "1", "-r", "200", "-o", html.toString(), "-p",
                    Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>"), "an HTML page, not an SVG");
            assertTrue(r.stderr().contains("Wrote html data to '" + html + "'"), r.stderr());
            assertTrue(r.stderr().contains("pyspy> Open it in a web browser: " + html.toUri()), r.stderr());

            Path go = Path.of("/usr/bin/go");
            if (Files.isExecutable(go)) {
                // pprof's functions carry the full path: -list finds the source without -source_path
                Path pprof = html.resolveSibling("out.pb.gz");
                assertEquals(0, PyspyCli.run("record", "-d", "1", "-r", "200", "-o", pprof.toString(), "-p",
                        Integer.toString(target.pid())).exitCode());
                Process p = new ProcessBuilder(go.toString(), "tool", "pprof", "-list", "busy_loop", pprof.toString())
                        .directory(html.getParent().toFile()).redirectErrorStream(true).start();
                String list = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertEquals(0, p.waitFor(), list);
                assertTrue(list.contains("while time.time() < deadline:"), list);
            }
        }
        PyspyCli.Result wrong = PyspyCli.runInProcess("record", "-f", "raw", "-o", "x.svg", "-p", "1");
        assertEquals(2, wrong.exitCode(), wrong.toString());
        assertTrue(wrong.stderr().strip().equals(
                "pyspy: --format raw does not write x.svg (that ending is for flamegraph): change the file name or the format"),
                wrong.stderr());
    }
}
