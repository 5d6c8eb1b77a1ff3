package dev.pyspy.output;

import dev.pyspy.testing.TableRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pyspy.testing.PyspyCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** {@code pyspy render} and {@code pyspy diff}, run as a user runs them (own JVM, exit codes, stderr). */
class RenderAndDiffCommandTest {

    static void assertUsageError(PyspyCli.Result r, String expected) {
        assertEquals(2, r.exitCode(), r.toString());
        String err = r.stderr().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.startsWith("pyspy: ") && err.contains(expected), err);
    }

    @Test
    void rendersCollapsedStacksToAnSvgBesideTheInput(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "heavy.txt");
        PyspyCli.Result r = PyspyCli.run("render", in.toString());
        assertEquals(0, r.exitCode(), r.toString());
        Path out = dir.resolve("heavy.svg");
        assertTrue(r.stderr().contains("Wrote flamegraph of 200 samples to '" + out + "'"), r.stderr());
        Document doc = SvgFlameGraphs.parse(Files.readAllBytes(out));
        assertEquals("heavy.txt", SvgFlameGraphs.byId(doc, "title").getTextContent());
        Map<String, Element> frames = SvgFlameGraphs.frames(doc);
        assertTrue(frames.containsKey("heavy_a (heavy.py:5) (60 samples, 30.00%)"), frames.keySet().toString());
    }

    @Test
    void takesTheFlameGraphOptions(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "heavy.txt");
        Path out = dir.resolve("custom.svg");
        PyspyCli.Result r = PyspyCli.run("render", in.toString(), "-o", out.toString(), "--title", "My <run>",
                "--width", "800", "--min-width", "20", "--flame");
        assertEquals(0, r.exitCode(), r.toString());
        Document doc = SvgFlameGraphs.parse(Files.readAllBytes(out));
        assertEquals("My <run>", SvgFlameGraphs.byId(doc, "title").getTextContent());
        assertEquals("800", doc.getDocumentElement().getAttribute("width"));
        Map<String, Element> frames = SvgFlameGraphs.frames(doc);
        assertFalse(frames.keySet().stream().anyMatch(k -> k.startsWith("dot (")), "15% < 20%: pruned");
        int root = Integer.parseInt(SvgFlameGraphs.rect(frames.get("all (200 samples, 100.00%)")).getAttribute("y"));
        int leaf = Integer.parseInt(SvgFlameGraphs.rect(frames.get("heavy_b (heavy.py:12) (70 samples, 35.00%)"))
                .getAttribute("y"));
        assertTrue(root > leaf, "--flame: root at the bottom");
    }

    @Test
    void rendersHtmlByOptionOrByExtensionAndPySpysRawOutput(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "pyspy-raw.txt");
        Path out = dir.resolve("page.html");
        assertEquals(0, PyspyCli.run("render", in.toString(), "-o", out.toString()).exitCode());
        assertEquals(78, HtmlFlameGraphData.data(Files.readAllBytes(out)).get("total").asLong());
        Path out2 = dir.resolve("page2.page");
        assertEquals(0, PyspyCli.run("render", in.toString(), "-f", "html", "-o", out2.toString()).exitCode());
        assertTrue(Files.readString(out2).startsWith("<!DOCTYPE html>"));
        Path raw = dir.resolve("again.txt");
        assertEquals(0, PyspyCli.run("render", in.toString(), "-f", "raw", "-o", raw.toString()).exitCode());
        assertEquals(RawWriter.collapse(CollapsedStackReader.read(in)), RawWriter.collapse(CollapsedStackReader.read(raw)));
    }

    @Test
    void readsStandardInput(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("stdin.svg");
        Process p = new ProcessBuilder(PyspyCli.command("render", "-", "-o", out.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().write("a (x.py:1);b (x.py:2) 3\na (x.py:1) 1\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(SvgFlameGraphs.frames(SvgFlameGraphs.parse(Files.readAllBytes(out)))
                .containsKey("b (x.py:2) (3 samples, 75.00%)"));
    }

    @Test
    void rendersWeightsUpTo2To63AndRefusesOnlyATotalPastIt(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("nanoseconds.txt");
        Files.writeString(in, "main (app.py:1);slow (app.py:5) 300000000000000000\n"
                + "main (app.py:1);fast (app.py:9) 100000000000000000\n");
        Path svg = dir.resolve("ns.svg");
        PyspyCli.Result r = PyspyCli.run("render", in.toString(), "-o", svg.toString());
        assertEquals(0, r.exitCode(), r.toString());
        Map<String, Element> frames = SvgFlameGraphs.frames(SvgFlameGraphs.parse(Files.readAllBytes(svg)));
        assertTrue(frames.containsKey("slow (app.py:5) (300000000000000000 samples, 75.00%)"), frames.keySet().toString());
        Path html = dir.resolve("ns.html");
        assertEquals(0, PyspyCli.run("render", in.toString(), "-o", html.toString()).exitCode());
        assertEquals(400_000_000_000_000_000L, HtmlFlameGraphData.data(Files.readAllBytes(html)).get("total").asLong());
        Path diff = dir.resolve("d.svg");
        assertEquals(0, PyspyCli.run("diff", in.toString(), in.toString(), "-o", diff.toString()).exitCode());

        Path largest = dir.resolve("largest.txt");
        Files.writeString(largest, "a;b " + Long.MAX_VALUE + "\n");
        assertEquals(0, PyspyCli.run("render", largest.toString(), "-o", dir.resolve("l.svg").toString()).exitCode());
        Files.writeString(largest, "a;b " + Long.MAX_VALUE + "\na;c 1\n");
        assertUsageError(PyspyCli.run("render", largest.toString()), "largest.txt:2: the counts add up to more than 2^63-1");
    }

    @Test
    void badInputIsAUsageErrorWithOneLine(@TempDir Path dir) throws Exception {
        assertUsageError(PyspyCli.run("render", dir.resolve("missing.txt").toString()), "missing.txt: no such file");
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "a;b 3\nthis line has no count\n");
        assertUsageError(PyspyCli.run("render", bad.toString()), "bad.txt:2: expected a sample count");
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "# nothing\n");
        assertUsageError(PyspyCli.run("render", empty.toString()), "holds no samples");
        Path binary = dir.resolve("binary.txt");
        Files.write(binary, new byte[]{(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3, 10});
        assertUsageError(PyspyCli.run("render", binary.toString()), "not a UTF-8 text file");
        assertUsageError(PyspyCli.run("render", dir.toString()), "it is a directory");
        Path in = OutputResources.resource(dir, "heavy.txt");
        assertUsageError(PyspyCli.run("render", in.toString(), "--min-width", "100"), "--min-width");
        assertUsageError(PyspyCli.run("render", in.toString(), "--width", "10"), "--width");
        assertUsageError(PyspyCli.run("render", in.toString(), "-f", "svg"), "unknown output format 'svg'");
        assertUsageError(PyspyCli.run("render", in.toString(), "-o", dir.resolve("no/such/dir.svg").toString()),
                "does not exist");
        assertFalse(Files.exists(dir.resolve("heavy.svg")), "nothing written on errors");
    }

    @Test
    void diffWritesADifferentialGraph(@TempDir Path dir) throws Exception {
        Path before = OutputResources.resource(dir, "diff-before.txt");
        Path after = OutputResources.resource(dir, "diff-after.txt");
        PyspyCli.Result r = PyspyCli.run("diff", before.toString(), after.toString());
        assertEquals(0, r.exitCode(), r.toString());
        Path out = dir.resolve("diff-after-diff.svg");
        assertTrue(r.stderr().contains("before: 200 samples, after: 100 samples"), r.stderr());
        Document doc = SvgFlameGraphs.parse(Files.readAllBytes(out));
        assertEquals("Differential flame graph: diff-before.txt \u2192 diff-after.txt",
                SvgFlameGraphs.byId(doc, "title").getTextContent());
        assertTrue(SvgFlameGraphs.frames(doc).containsKey("slow (app.py:20) (before: 100 samples, 50.00%; "
                + "after: 20 samples, 20.00%; change -30.00%, self -30.00%)"), SvgFlameGraphs.frames(doc).keySet().toString());

        Path html = dir.resolve("d.html");
        assertEquals(0, PyspyCli.run("diff", before.toString(), after.toString(), "-o", html.toString()).exitCode());
        assertEquals(200, HtmlFlameGraphData.data(Files.readAllBytes(html)).get("diff").get("before").asLong());

        assertUsageError(PyspyCli.run("diff", before.toString(), dir.resolve("nope.txt").toString()), "no such file");
        assertUsageError(PyspyCli.run("diff", before.toString(), after.toString(), "-f", "pprof"),
                "diff writes flamegraph or html");
        assertUsageError(PyspyCli.run("diff", "-", "-"), "only one of BEFORE and AFTER");
        assertEquals(2, PyspyCli.run("diff", before.toString()).exitCode(), "AFTER is required");
    }

    @Test
    void plainNamesLetAPyspyProfileOf311AndAPySpyOneCompare(@TempDir Path dir) throws Exception {
        Path pyspy = dir.resolve("pyspy.txt");
        Files.writeString(pyspy, "<module> (app.py:9);Worker.run (app.py:5);f.<locals>.<listcomp> (app.py:2) 30\n");
        Path pySpy = dir.resolve("py-spy.txt");
        Files.writeString(pySpy, "<module> (app.py:9);run (app.py:5);<listcomp> (app.py:2) 10\n");
        Path plain = dir.resolve("plain.txt");
        assertEquals(0, PyspyCli.run("render", "--plain-names", "-f", "raw", "-o", plain.toString(), pyspy.toString()).exitCode());
        assertEquals("<module> (app.py:9);run (app.py:5);<listcomp> (app.py:2) 30", Files.readString(plain).strip());

        Path out = dir.resolve("d.svg");
        assertEquals(0, PyspyCli.run("diff", "--plain-names", "-o", out.toString(), pySpy.toString(), pyspy.toString()).exitCode());
        var frames = SvgFlameGraphs.frames(SvgFlameGraphs.parse(Files.readAllBytes(out))).keySet();
        assertTrue(frames.stream().anyMatch(f -> f.startsWith("<listcomp> (app.py:2) (before: 10 samples")), frames.toString());
        assertTrue(frames.stream().noneMatch(f -> f.contains("Worker.run")), "one set of names: " + frames);
    }

    @Test
    void theOutputEndingPicksTheFormatAndAContradictingFormatIsAUsageError(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "heavy.txt");
        Map<String, String> starts = Map.of("a.svg", "<?xml", "a.html", "<!DOCTYPE html>", "a.json", "{\"$schema\"");
        for (Map.Entry<String, String> e : starts.entrySet()) {
            PyspyCli.Result r = PyspyCli.runInProcess("render", in.toString(), "-o", dir.resolve(e.getKey()).toString());
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(Files.readString(dir.resolve(e.getKey())).startsWith(e.getValue()), e.getKey());
        }
        assertEquals(0, PyspyCli.runInProcess("render", in.toString(), "-o", dir.resolve("a.txt").toString()).exitCode());
        assertEquals(RawWriter.collapse(CollapsedStackReader.read(in)),
                RawWriter.collapse(CollapsedStackReader.read(dir.resolve("a.txt"))), ".txt is raw");
        for (String pprof : new String[]{"a.pb.gz", "a.pprof"}) {
            assertEquals(0, PyspyCli.runInProcess("render", in.toString(), "-o", dir.resolve(pprof).toString()).exitCode());
            assertEquals(200L, PprofDecoder.decode(Files.readAllBytes(dir.resolve(pprof))).samples.stream()
                    .mapToLong(x -> x.values().get(0)).sum(), pprof);
        }
        assertUsageError(PyspyCli.runInProcess("render", in.toString(), "-f", "raw", "-o", dir.resolve("x.svg").toString()),
                "--format raw does not write x.svg (that ending is for flamegraph)");
        assertFalse(Files.exists(dir.resolve("x.svg")));
        PyspyCli.Result gecko = PyspyCli.runInProcess("render", in.toString(), "-f", "gecko", "-o",
                dir.resolve("g.json").toString());
        assertEquals(0, gecko.exitCode(), gecko.toString());
        GeckoChecks.assertValidGecko(new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("g.json").toFile()));
    }

    @Test
    void renderAndDiffDoNotReplaceAFileTheyNamedThemselvesWithoutForce(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "heavy.txt");
        Path svg = dir.resolve("heavy.svg");
        Files.writeString(svg, "mine");
        assertUsageError(PyspyCli.runInProcess("render", in.toString()), svg + " already exists: give --force");
        assertEquals("mine", Files.readString(svg));
        assertEquals(0, PyspyCli.runInProcess("render", in.toString(), "--force").exitCode());
        assertTrue(Files.readString(svg).startsWith("<?xml"));
        Files.writeString(svg, "mine");
        assertEquals(0, PyspyCli.runInProcess("render", in.toString(), "-o", svg.toString()).exitCode(),
                "a file named with -o is replaced");
        assertTrue(Files.readString(svg).startsWith("<?xml"));

        Path before = OutputResources.resource(dir, "diff-before.txt");
        Path after = OutputResources.resource(dir, "diff-after.txt");
        Path diff = dir.resolve("diff-after-diff.svg");
        Files.writeString(diff, "mine");
        assertUsageError(PyspyCli.runInProcess("diff", before.toString(), after.toString()), "already exists");
        assertEquals("mine", Files.readString(diff));
        assertEquals(0, PyspyCli.runInProcess("diff", before.toString(), after.toString(), "--force").exitCode());
        assertTrue(Files.readString(diff).startsWith("<?xml"));
    }

    @Test
    void afterWritingOneLineSaysHowToOpenTheFile(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "heavy.txt");
        Map<String, String> hints = Map.of(
                "flamegraph", "pyspy> Open it in a web browser: file://",
                "speedscope", "pyspy> Open it at https://www.speedscope.app (or run: npx speedscope ",
                "chrometrace", "pyspy> Open it at https://ui.perfetto.dev",
                "pprof", "pyspy> Explore it with: go tool pprof -http=: ",
                "raw", "pyspy> Draw it with: pyspy render ",
                "gecko", "pyspy> Open it at https://profiler.firefox.com",
                "heatmap", "pyspy> Open it in a web browser: file://");
        for (Map.Entry<String, String> e : hints.entrySet()) {
            Path out = dir.resolve("out-" + e.getKey());
            PyspyCli.Result r = PyspyCli.runInProcess("render", in.toString(), "-f", e.getKey(), "-o", out.toString());
            assertEquals(0, r.exitCode(), r.toString());
            String last = r.stderr().strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith(e.getValue()) && last.contains(out.getFileName().toString()), e.getKey() + ": " + last);
        }
    }

    @Test
    void theTableGoesToStandardOutputWithoutOutputFile(@TempDir Path dir) throws Exception {
        Path in = OutputResources.resource(dir, "heavy.txt");
        PyspyCli.Result r = PyspyCli.runInProcess("render", in.toString(), "--format", "text", "--sort", "total",
                "--top", "2");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(2, TableRows.parse(r.stdout()).size(), r.stdout());
        assertEquals("", r.stderr());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "nothing but the input: " + dir);
        }
        assertUsageError(PyspyCli.runInProcess("render", in.toString(), "-f", "table", "--sort", "name"), "--sort takes own or total");
    }
}
