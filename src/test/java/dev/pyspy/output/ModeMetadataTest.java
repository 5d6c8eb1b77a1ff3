package dev.pyspy.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each output format carries the sampling mode ({@code --mode}) in its metadata, where its viewers show
 * it; a profile whose mode is unknown (read from collapsed stacks) says nothing about one, and the raw
 * collapsed format, which has no metadata, never does.
 */
class ModeMetadataTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LABEL = "mode: wall (every thread in every sample)";

    private static Profile withMode(String name, String description) {
        Profile p = TestProfiles.heavy();
        p.setMode(name, description);
        return p;
    }

    private static byte[] write(OutputFormat format, Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        format.writer().write(p, out);
        return out.toByteArray();
    }

    private static String text(OutputFormat format, Profile p) throws IOException {
        return new String(write(format, p), StandardCharsets.UTF_8);
    }

    @Test
    void theLabelNamesTheModeAndWhatItCounts() {
        assertEquals(LABEL, withMode("wall", "every thread in every sample").modeLabel());
        assertEquals("mode: cpu", withMode("cpu", null).modeLabel());
        assertNull(TestProfiles.heavy().modeLabel());
        assertNull(TestProfiles.heavy().mode());
    }

    @Test
    void svgFlameGraphShowsTheModeAfterItsTitle() throws Exception {
        byte[] svg = write(OutputFormat.FLAMEGRAPH, withMode("wall", "every thread in every sample"));
        var doc = SvgFlameGraphs.parse(svg);
        Element title = SvgFlameGraphs.byId(doc, "title");
        Element subtitle = SvgFlameGraphs.byId(doc, "subtitle");
        assertNotNull(subtitle, "a subtitle element");
        assertEquals(LABEL, subtitle.getTextContent());
        assertEquals(title, subtitle.getParentNode(), "in the title line");
        assertTrue(title.getTextContent().startsWith(TestProfiles.TITLE), title.getTextContent());

        var unknown = SvgFlameGraphs.parse(write(OutputFormat.FLAMEGRAPH, TestProfiles.heavy()));
        assertNull(SvgFlameGraphs.byId(unknown, "subtitle"));
        assertEquals(TestProfiles.TITLE, SvgFlameGraphs.byId(unknown, "title").getTextContent());
    }

    @Test
    void htmlFlameGraphAndHeatmapShowTheModeUnderTheirTitle() throws IOException {
        for (OutputFormat f : List.of(OutputFormat.HTML, OutputFormat.HEATMAP)) {
            String html = text(f, withMode("wall", "every thread in every sample"));
            assertTrue(html.contains("</h1>\n<div id=\"subtitle\">" + LABEL + "</div>"), f + " subtitle");
            assertFalse(text(f, TestProfiles.heavy()).contains("id=\"subtitle\""), f + " without a mode");
        }
        String escaped = text(OutputFormat.HTML, withMode("wall", "<b> & more"));
        assertTrue(escaped.contains("mode: wall (&lt;b&gt; &amp; more)"), "escaped");
    }

    @Test
    void speedscopeNamesTheFileWithTitleAndMode() throws IOException {
        JsonNode root = JSON.readTree(write(OutputFormat.SPEEDSCOPE, withMode("wall", "every thread in every sample")));
        SpeedscopeChecks.assertValidSpeedscope(root);
        assertEquals(TestProfiles.TITLE + " (" + LABEL + ")", root.get("name").asText());
        // the per-thread names stay py-spy's
        assertEquals("Thread 1001 \"MainThread\"", root.get("profiles").get(0).get("name").asText());

        JsonNode unknown = JSON.readTree(write(OutputFormat.SPEEDSCOPE, TestProfiles.heavy()));
        assertEquals(TestProfiles.TITLE, unknown.get("name").asText());
    }

    @Test
    void pprofNamesItsTimeValuesAfterTheModeAndCommentsIt() throws IOException {
        for (String mode : List.of("wall", "cpu", "gil", "exception")) {
            PprofDecoder.Decoded d = PprofDecoder.decode(write(OutputFormat.PPROF, withMode(mode, "what it counts")));
            assertEquals("samples", d.str(d.sampleTypes.get(0)[0]));
            assertEquals("count", d.str(d.sampleTypes.get(0)[1]));
            assertEquals(mode, d.str(d.sampleTypes.get(1)[0]), "time type");
            assertEquals("nanoseconds", d.str(d.sampleTypes.get(1)[1]));
            assertEquals(mode, d.str(d.periodType[0]));
            assertEquals(mode, d.str(d.defaultSampleType));
            assertEquals(List.of(TestProfiles.TITLE, "mode: " + mode + " (what it counts)"),
                    d.comments.stream().map(d::str).toList());
        }
        // the default mode, and an unknown one, keep the cpu time of before
        for (Profile p : List.of(withMode("active", "threads doing work"), TestProfiles.heavy())) {
            PprofDecoder.Decoded d = PprofDecoder.decode(write(OutputFormat.PPROF, p));
            assertEquals("cpu", d.str(d.sampleTypes.get(1)[0]));
            assertEquals("cpu", d.str(d.defaultSampleType));
        }
    }

    @Test
    void chromeTraceLabelsEachProcessWithTheMode() throws IOException {
        JsonNode events = JSON.readTree(write(OutputFormat.CHROMETRACE, withMode("wall", "every thread in every sample")));
        ChromeTraces.replay(events);
        List<JsonNode> labels = new ArrayList<>();
        for (JsonNode e : events) {
            if (e.get("ph").asText().equals("M") && e.get("name").asText().equals("process_labels")) {
                labels.add(e);
            }
        }
        assertEquals(1, labels.size(), "one process, one label event");
        assertEquals(TestProfiles.PID, labels.get(0).get("pid").asInt());
        assertEquals(LABEL, labels.get(0).get("args").get("labels").asText());

        for (JsonNode e : JSON.readTree(write(OutputFormat.CHROMETRACE, TestProfiles.heavy()))) {
            assertFalse(e.get("name").asText().equals("process_labels"), "no label without a mode");
        }
    }

    @Test
    void geckoPutsTheModeInItsInformationPanel() throws IOException {
        JsonNode root = JSON.readTree(write(OutputFormat.GECKO, withMode("wall", "every thread in every sample")));
        GeckoChecks.assertValidGecko(root);
        assertEquals(LABEL, root.get("meta").get("misc").asText());
        assertEquals("", JSON.readTree(write(OutputFormat.GECKO, TestProfiles.heavy())).get("meta").get("misc").asText());
    }

    @Test
    void tableHasAModeCommentAfterItsTitle() throws IOException {
        List<String> lines = text(OutputFormat.TABLE, withMode("wall", "every thread in every sample")).lines().toList();
        assertEquals("# " + TestProfiles.TITLE, lines.get(0));
        assertEquals("# " + LABEL, lines.get(1));
        assertFalse(text(OutputFormat.TABLE, TestProfiles.heavy()).contains("mode:"));
    }

    @Test
    void rawCollapsedStacksHaveNoMetadata() throws IOException {
        assertEquals(text(OutputFormat.RAW, TestProfiles.heavy()), text(OutputFormat.RAW, withMode("wall", "every thread")));
    }

    /**
     * {@code record} writes the mode it sampled with into each format, py-spy's flags included as the
     * modes they stand for ({@code -i} is wall; {@code -g} alone stays the default mode, holder only).
     */
    @Test
    @NeedsRoot
    void recordWritesTheModeItSampledWithInEveryFormat(@TempDir Path dir) throws Exception {
        Path scripts = TargetProcess.scripts("modes_target.py");
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(), scripts.resolve("modes_target.py"))) {
            target.truth(30);
            String cpu = "mode: cpu (threads the kernel has on a CPU)";
            String wall = LABEL;
            Path svg = record(target, dir, OutputFormat.FLAMEGRAPH, "--mode", "cpu");
            assertEquals(cpu, SvgFlameGraphs.byId(SvgFlameGraphs.parse(Files.readAllBytes(svg)), "subtitle").getTextContent());
            Path html = record(target, dir, OutputFormat.HTML, "-i");
            assertTrue(Files.readString(html).contains("<div id=\"subtitle\">" + wall + "</div>"));
            Path speedscope = record(target, dir, OutputFormat.SPEEDSCOPE, "--mode", "exception");
            assertTrue(JSON.readTree(speedscope.toFile()).get("name").asText()
                    .endsWith(" (mode: exception (threads raising or handling an exception))"));
            PprofDecoder.Decoded d = PprofDecoder.decode(Files.readAllBytes(record(target, dir, OutputFormat.PPROF,
                    "--mode", "gil")));
            assertEquals("gil", d.str(d.sampleTypes.get(1)[0]));
            assertEquals("mode: gil (the thread holding the GIL)", d.str(d.comments.get(d.comments.size() - 1)));
            boolean labelled = false;
            for (JsonNode e : JSON.readTree(record(target, dir, OutputFormat.CHROMETRACE, "-g").toFile())) {
                labelled |= e.get("name").asText().equals("process_labels") && e.get("args").get("labels").asText()
                        .equals("mode: active (threads doing work, the GIL holder only)");
            }
            assertTrue(labelled, "chrome trace: process_labels");
            // -g -i keeps what --mode gil keeps
            assertEquals("mode: gil (the thread holding the GIL)", JSON.readTree(record(target, dir, OutputFormat.GECKO,
                    "-g", "-i").toFile()).get("meta").get("misc").asText());
            assertEquals("# mode: active (threads doing work)",
                    Files.readAllLines(record(target, dir, OutputFormat.TABLE)).get(1));
            for (String line : Files.readAllLines(record(target, dir, OutputFormat.RAW, "--mode", "wall"))) {
                assertTrue(line.matches(".+ \\d+"), "raw: stacks only: " + line);
            }
        }
    }

    private static Path record(TargetProcess target, Path dir, OutputFormat format, String... extra) throws Exception {
        Path out = dir.resolve(format.formatName() + "." + format.extension());
        List<String> args = new ArrayList<>(List.of("record", "-d", "1", "-f", format.formatName(), "-o", out.toString(),
                "-p", Integer.toString(target.pid())));
        args.addAll(List.of(extra));
        PyspyCli.Result r = PyspyCli.run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        return out;
    }
}
