package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
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

    static Document parse(byte[] svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        DocumentBuilder b = f.newDocumentBuilder();
        b.setErrorHandler(null);
        return b.parse(new ByteArrayInputStream(svg));
    }

    /** Frame groups: title text to the group. */
    static Map<String, Element> frames(Document doc) {
        Map<String, Element> out = new HashMap<>();
        NodeList gs = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
        for (int i = 0; i < gs.getLength(); i++) {
            Element g = (Element) gs.item(i);
            if ("f".equals(g.getAttribute("class"))) {
                String title = g.getElementsByTagNameNS("http://www.w3.org/2000/svg", "title").item(0).getTextContent();
                out.put(title, g);
            }
        }
        return out;
    }

    static Element byId(Document doc, String id) {
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (id.equals(e.getAttribute("id"))) {
                return e;
            }
        }
        return null;
    }

    static Element rect(Element g) {
        return (Element) g.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").item(0);
    }

    @Test
    void svgIsWellFormedAndTitledWithTheProfileTitle() throws Exception {
        Document doc = parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults()));
        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        assertEquals(TestProfiles.TITLE, byId(doc, "title").getTextContent());
        assertEquals("1200", root.getAttribute("width"));
        assertEquals("init(evt)", root.getAttribute("onload"));
    }

    @Test
    void svgTitlesGiveFunctionFileLineSamplesAndPercent() throws Exception {
        Map<String, Element> frames = frames(parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults())));
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
        assertEquals("30%", rect(heavyA).getAttribute("width"));
        assertEquals("0%", rect(heavyA).getAttribute("x"));
    }

    @Test
    void svgHasTheInteractiveControls() throws Exception {
        byte[] bytes = svg(TestProfiles.heavy(), FlameGraphOptions.defaults());
        Document doc = parse(bytes);
        assertEquals("Search", byId(doc, "search").getTextContent());
        assertEquals("Reset Zoom", byId(doc, "unzoom").getTextContent());
        assertEquals("hide", byId(doc, "unzoom").getAttribute("class"));
        assertNotNull(byId(doc, "details"));
        assertNotNull(byId(doc, "matched"));
        Element frames = byId(doc, "frames");
        assertEquals("200", frames.getAttribute("data-total"));
        String legend = byId(doc, "legend").getTextContent();
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
        Map<String, Element> frames = frames(parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults())));
        String a1 = rect(frames.get("heavy_a (heavy.py:5) (60 samples, 30.00%)")).getAttribute("fill");
        String a2 = rect(frames.get("heavy_a (heavy.py:5) (30 samples, 15.00%)")).getAttribute("fill");
        assertEquals(a1, a2);
        assertEquals(FrameCategory.PROGRAM.color("heavy_a"), a1);
        String run = rect(frames.get("run (/usr/lib/python3.11/threading.py:975) (100 samples, 50.00%)")).getAttribute("fill");
        assertEquals(FrameCategory.STDLIB.color("run"), run);

        Profile other = new Profile("other", 0.01, 0);
        TestProfiles.add(other, 7, new FrameInfo("heavy_a", "elsewhere.py", 40, 39));
        Map<String, Element> otherFrames = frames(parse(svg(other, FlameGraphOptions.defaults())));
        assertEquals(a1, rect(otherFrames.get("heavy_a (elsewhere.py:40) (7 samples, 100.00%)")).getAttribute("fill"));
    }

    @Test
    void iciclePutsTheRootOnTopAndFlameAtTheBottom() throws Exception {
        Profile p = TestProfiles.heavy();
        Map<String, Element> icicle = frames(parse(svg(p, FlameGraphOptions.defaults())));
        Map<String, Element> flame = frames(parse(svg(p, FlameGraphOptions.defaults().withIcicle(false))));
        String root = "all (200 samples, 100.00%)";
        String leaf = "dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) (30 samples, 15.00%)";
        int iRoot = Integer.parseInt(rect(icicle.get(root)).getAttribute("y"));
        int iLeaf = Integer.parseInt(rect(icicle.get(leaf)).getAttribute("y"));
        int fRoot = Integer.parseInt(rect(flame.get(root)).getAttribute("y"));
        int fLeaf = Integer.parseInt(rect(flame.get(leaf)).getAttribute("y"));
        assertTrue(iRoot < iLeaf, "icicle: root above leaves");
        assertTrue(fRoot > fLeaf, "flame: root below leaves");
        for (Element g : icicle.values()) {
            int y = Integer.parseInt(rect(g).getAttribute("y"));
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
        Document doc = parse(bytes);
        assertEquals("<b>\"profile\" & 'more'</b>", byId(doc, "title").getTextContent());
        String expected = "<lambda> & \"quoted\" 'single' ]]> \uFFFD (dir <x>/a&b.py:2) (3 samples, 100.00%)";
        assertTrue(frames(doc).containsKey(expected), frames(doc).keySet().toString());
    }

    @Test
    void svgOptionTitleOverridesTheProfileTitle() throws Exception {
        Document doc = parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults().withTitle("My run")));
        assertEquals("My run", byId(doc, "title").getTextContent());
    }

    @Test
    void narrowFramesAreLeftOutOfTheSvg() throws Exception {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 1999, TestProfiles.fn("big"));
        TestProfiles.add(p, 1, TestProfiles.fn("sliver"));
        assertEquals(2, frames(parse(svg(p, FlameGraphOptions.defaults()))).size());
        assertEquals(3, frames(parse(svg(p, FlameGraphOptions.defaults().withMinWidthFraction(0)))).size());
    }

    @Test
    void labelsAreTruncatedToFitTheirFrame() throws Exception {
        assertEquals("heavy_a (heavy.py:5)", FlameGraphWriter.fitLabel("heavy_a (heavy.py:5)", 1000, 12));
        String cut = FlameGraphWriter.fitLabel("heavy_a (heavy.py:5)", 80, 12);
        assertTrue(cut.endsWith("..") && cut.length() < 20 && "heavy_a (heavy.py:5)".startsWith(cut.substring(0, cut.length() - 2)), cut);
        assertTrue((cut.length()) * 12 * FlameGraphWriter.CHAR_WIDTH <= 80 - 2 * FlameGraphWriter.TEXT_PAD + 1e-9);
        assertEquals("", FlameGraphWriter.fitLabel("heavy_a (heavy.py:5)", 15, 12));

        Map<String, Element> frames = frames(parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults().withWidth(300))));
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
        Document doc = parse(bytes);
        assertTrue(doc.getDocumentElement().getTextContent().contains("No samples"));
        assertEquals(0, frames(doc).size());
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
        Document doc = parse(svg(TestProfiles.heavy(), FlameGraphOptions.defaults()));
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
