package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class FlameGraphWriterTest {

    static byte[] svg(Profile p, FlameGraphOptions options) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FlameGraphWriter(options).write(p, out);
        return out.toByteArray();
    }

    @Test
    void svgIsWellFormedAndTitledWithTheProfileTitle() throws Exception {
        Document doc = SvgFlameGraphs.parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults()));
        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        assertEquals(TestProfiles.TITLE, SvgFlameGraphs.byId(doc, "title").getTextContent());
        assertEquals("1200", root.getAttribute("width"));
        assertEquals("init(evt)", root.getAttribute("onload"));
    }

    @Test
    void svgTitlesGiveFunctionFileLineSamplesAndPercent() throws Exception {
        Map<String, Element> frames = SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults())));
        assertTrue(frames.containsKey("all (200 samples, 100.00%)"), frames.keySet().toString());
        assertTrue(frames.containsKey("heavy_a (heavy.py:5) (60 samples, 30.00%)"));
        assertTrue(frames.containsKey("heavy_a (heavy.py:5) (30 samples, 15.00%)"));
        assertTrue(frames.containsKey("heavy_b (heavy.py:12) (70 samples, 35.00%)"));
        assertTrue(frames.containsKey("thread (1001): MainThread (100 samples, 50.00%)"));
        assertTrue(frames.containsKey(
                "dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) (30 samples, 15.00%)"));
        assertEquals(1 + 2 + 4 + 6, frames.size(), "every frame drawn once");
        Element heavyA = frames.get("heavy_a (heavy.py:5) (60 samples, 30.00%)");
        assertEquals("0", heavyA.getAttribute("data-s"));
        assertEquals("60", heavyA.getAttribute("data-n"));
        assertEquals("4", heavyA.getAttribute("data-d"));
        assertEquals("30%", SvgFlameGraphs.rect(heavyA).getAttribute("width"));
        assertEquals("0%", SvgFlameGraphs.rect(heavyA).getAttribute("x"));
    }

    @Test
    void svgHasTheInteractiveControls() throws Exception {
        byte[] bytes = svg(TestProfiles.heavy(), FlameGraphOptions.defaults());
        Document doc = SvgFlameGraphs.parse(bytes);
        assertEquals("Search", SvgFlameGraphs.byId(doc, "search").getTextContent());
        assertEquals("Reset Zoom", SvgFlameGraphs.byId(doc, "unzoom").getTextContent());
        assertEquals("hide", SvgFlameGraphs.byId(doc, "unzoom").getAttribute("class"));
        assertNotNull(SvgFlameGraphs.byId(doc, "details"));
        assertNotNull(SvgFlameGraphs.byId(doc, "matched"));
        Element frames = SvgFlameGraphs.byId(doc, "frames");
        assertEquals("200", frames.getAttribute("data-total"));
        String legend = SvgFlameGraphs.byId(doc, "legend").getTextContent();
        for (FrameCategory c : FrameCategory.values()) {
            assertTrue(legend.contains(c.legend), legend);
        }
        String script = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "script").item(0).getTextContent();
        for (String needle : List.of("function zoom(", "function unzoom(", "function search(", "Reset Search",
                "Matched: ", "URLSearchParams", "replaceState", "\"F3\"", "ctrlKey")) {
            assertTrue(script.contains(needle), needle);
        }
    }

    @Test
    void coloursFollowCategoriesAndMatchAcrossFiles() throws Exception {
        Map<String, Element> frames = SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults())));
        String a1 = SvgFlameGraphs.rect(frames.get("heavy_a (heavy.py:5) (60 samples, 30.00%)")).getAttribute("fill");
        String a2 = SvgFlameGraphs.rect(frames.get("heavy_a (heavy.py:5) (30 samples, 15.00%)")).getAttribute("fill");
        assertEquals(a1, a2);
        assertEquals(FrameCategory.PROGRAM.color("heavy_a"), a1);
        String run = SvgFlameGraphs.rect(frames.get("run (/usr/lib/python3.11/threading.py:975) (100 samples, 50.00%)")).getAttribute("fill");
        assertEquals(FrameCategory.STDLIB.color("run"), run);

        Profile other = new Profile("other", 0.01, 0);
        TestProfiles.add(other, 7, new FrameInfo("heavy_a", "elsewhere.py", 40, 39));
        Map<String, Element> otherFrames = SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(other, FlameGraphOptions.defaults())));
        assertEquals(a1, SvgFlameGraphs.rect(otherFrames.get("heavy_a (elsewhere.py:40) (7 samples, 100.00%)")).getAttribute("fill"));
    }

    @Test
    void iciclePutsTheRootOnTopAndFlameAtTheBottom() throws Exception {
        Profile p = TestProfiles.heavy();
        Map<String, Element> icicle = SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(p, FlameGraphOptions.defaults())));
        Map<String, Element> flame = SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(p, FlameGraphOptions.defaults().withIcicle(false))));
        String root = "all (200 samples, 100.00%)";
        String leaf = "dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) (30 samples, 15.00%)";
        int iRoot = Integer.parseInt(SvgFlameGraphs.rect(icicle.get(root)).getAttribute("y"));
        int iLeaf = Integer.parseInt(SvgFlameGraphs.rect(icicle.get(leaf)).getAttribute("y"));
        int fRoot = Integer.parseInt(SvgFlameGraphs.rect(flame.get(root)).getAttribute("y"));
        int fLeaf = Integer.parseInt(SvgFlameGraphs.rect(flame.get(leaf)).getAttribute("y"));
        assertTrue(iRoot < iLeaf, "icicle: root above leaves");
        assertTrue(fRoot > fLeaf, "flame: root below leaves");
        for (Element g : icicle.values()) {
            int y = Integer.parseInt(SvgFlameGraphs.rect(g).getAttribute("y"));
            assertTrue(y >= iRoot);
        }
    }

    @Test
    void svgEscapesMarkupInNamesAndFiles() throws Exception {
        Profile p = new Profile("<b>\"profile\" & 'more'</b>", 0.01, 0);
        String nasty = "<lambda> & \"quoted\" 'single' ]]> \u0001";
        TestProfiles.add(p, 3, new FrameInfo(nasty, "dir <x>/a&b.py", 2, 1));
        byte[] bytes = svg(p, FlameGraphOptions.defaults());
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertFalse(text.contains("<lambda>"));
        assertFalse(text.contains("\u0001"));
        Document doc = SvgFlameGraphs.parse(bytes);
        assertEquals("<b>\"profile\" & 'more'</b>", SvgFlameGraphs.byId(doc, "title").getTextContent());
        String expected = "<lambda> & \"quoted\" 'single' ]]> \uFFFD (dir <x>/a&b.py:2) (3 samples, 100.00%)";
        assertTrue(SvgFlameGraphs.frames(doc).containsKey(expected), SvgFlameGraphs.frames(doc).keySet().toString());
    }

    @Test
    void svgOptionTitleOverridesTheProfileTitle() throws Exception {
        Document doc = SvgFlameGraphs.parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults().withTitle("My run")));
        assertEquals("My run", SvgFlameGraphs.byId(doc, "title").getTextContent());
    }

    @Test
    void narrowFramesAreLeftOutOfTheSvg() throws Exception {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 1999, TestProfiles.fn("big"));
        TestProfiles.add(p, 1, TestProfiles.fn("sliver"));
        assertEquals(2, SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(p, FlameGraphOptions.defaults()))).size());
        assertEquals(3, SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(p, FlameGraphOptions.defaults().withMinWidthFraction(0)))).size());
    }

    @Test
    void labelsAreTruncatedToFitTheirFrame() throws Exception {
        assertEquals("heavy_a (heavy.py:5)", FlameGraphWriter.fitLabel("heavy_a (heavy.py:5)", 1000, 12));
        String cut = FlameGraphWriter.fitLabel("heavy_a (heavy.py:5)", 80, 12);
        assertTrue(cut.endsWith("..") && cut.length() < 20 && "heavy_a (heavy.py:5)".startsWith(cut.substring(0, cut.length() - 2)), cut);
        assertTrue((cut.length()) * 12 * FlameGraphWriter.CHAR_WIDTH <= 80 - 2 * FlameGraphWriter.TEXT_PAD + 1e-9);
        assertEquals("", FlameGraphWriter.fitLabel("heavy_a (heavy.py:5)", 15, 12));

        Map<String, Element> frames = SvgFlameGraphs.frames(SvgFlameGraphs.parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults().withWidth(300))));
        Element dot = frames.get("dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) (30 samples, 15.00%)");
        String label = dot.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text").item(0).getTextContent();
        assertTrue(label.isEmpty() || label.endsWith(".."), label);
    }

    @Test
    void svgOutputIsDeterministic() throws Exception {
        assertArrayEquals(svg(TestProfiles.heavy(), FlameGraphOptions.defaults()),
                svg(TestProfiles.heavy(), FlameGraphOptions.defaults()));
    }

    @Test
    void emptyProfileGivesAWellFormedSvgSayingNoSamples() throws Exception {
        byte[] bytes = svg(new Profile("nothing", 0.01, 0), FlameGraphOptions.defaults());
        Document doc = SvgFlameGraphs.parse(bytes);
        assertTrue(doc.getDocumentElement().getTextContent().contains("No samples"));
        assertEquals(0, SvgFlameGraphs.frames(doc).size());
    }

    @Test
    void optionsRejectNonsense() {
        FlameGraphOptions d = FlameGraphOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withWidth(10));
        assertThrows(IllegalArgumentException.class, () -> d.withMinWidthFraction(1.5));
        assertThrows(IllegalArgumentException.class, () -> d.withMinWidthFraction(Double.NaN));
        assertTrue(d.icicle(), "icicle is the default");
        assertEquals(0.001, d.minWidthFraction());
    }


    @Test
    void frameGroupsComeParentsFirst() throws Exception {
        Document doc = SvgFlameGraphs.parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults()));
        NodeList gs = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        List<Integer> depths = new ArrayList<>();
        for (int i = 0; i < gs.getLength(); i++) {
            depths.add(Integer.parseInt(((Element) gs.item(i)).getAttribute("data-d")));
        }
        assertEquals(0, depths.get(0));
        for (int i = 1; i < depths.size(); i++) {
            assertTrue(depths.get(i) <= depths.get(i - 1) + 1, "pre-order");
        }
    }
}
