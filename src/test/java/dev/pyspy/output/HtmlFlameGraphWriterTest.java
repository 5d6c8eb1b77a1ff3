package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlFlameGraphWriterTest {

    static byte[] html(Profile p, FlameGraphOptions options) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new HtmlFlameGraphWriter(options).write(p, out);
        return out.toByteArray();
    }

    /** One decoded frame: depth, label, total, self. */
    record Frame(int depth, String label, long total, long self) {
    }

    static List<Frame> decode(JsonNode data) {
        long[] v = HtmlFlameGraphData.unvlq(data.get("nodes").asText());
        List<Frame> out = new ArrayList<>();
        int prev = -1;
        for (int i = 0; i < v.length; i += 4) {
            int depth = prev + 1 - (int) v[i];
            out.add(new Frame(depth, data.get("labels").get((int) v[i + 1]).asText(), v[i + 2], v[i + 3]));
            prev = depth;
        }
        return out;
    }

    @Test
    void numbersRoundTripThroughTheEncoding() {
        long[] values = {0, 1, 31, 32, 33, 1023, 1024, 123456789L, 1L << 40, Long.MAX_VALUE};
        StringBuilder sb = new StringBuilder();
        for (long v : values) {
            HtmlFlameGraphWriter.vlq(sb, v);
        }
        assertArrayEquals(values, HtmlFlameGraphData.unvlq(sb.toString()));
        StringBuilder one = new StringBuilder();
        HtmlFlameGraphWriter.vlq(one, 5);
        assertEquals("F", one.toString(), "small numbers take one character");
    }

    @Test
    void theDataIsTheLayoutInPreOrder() throws Exception {
        Profile p = TestProfiles.heavy();
        JsonNode data = HtmlFlameGraphData.data(html(p, FlameGraphOptions.defaults().withMinWidthFraction(0)));
        FlameGraphLayout layout = FlameGraphLayout.build(p, 0);
        List<Frame> frames = decode(data);
        assertEquals(layout.nodes().size(), data.get("n").asInt());
        assertEquals(layout.nodes().size(), frames.size());
        for (int i = 0; i < frames.size(); i++) {
            FlameGraphLayout.Node n = layout.nodes().get(i);
            assertEquals(new Frame(n.depth(), n.label(), n.total(), n.self()), frames.get(i));
        }
        assertEquals(200, data.get("total").asLong());
        assertEquals(layout.maxDepth(), data.get("maxDepth").asInt());
        assertEquals(TestProfiles.TITLE, data.get("title").asText());
        assertTrue(data.get("icicle").asBoolean());
    }

    @Test
    void labelsAndFunctionsAreInternedWithTheSvgColours() throws Exception {
        JsonNode data = HtmlFlameGraphData.data(html(TestProfiles.heavy(), FlameGraphOptions.defaults()));
        List<String> labels = new ArrayList<>();
        data.get("labels").forEach(l -> labels.add(l.asText()));
        assertEquals(labels.size(), labels.stream().distinct().count(), "each label once");
        // heavy_a and heavy_b appear twice each: most used first
        assertTrue(labels.indexOf("heavy_a (heavy.py:5)") < 2 && labels.indexOf("heavy_b (heavy.py:12)") < 2, labels.toString());
        long[] lfn = HtmlFlameGraphData.unvlq(data.get("lfn").asText());
        assertEquals(labels.size(), lfn.length);
        int a = (int) lfn[labels.indexOf("heavy_a (heavy.py:5)")];
        assertEquals("heavy_a", data.get("fname").get(a).asText());
        assertEquals("heavy.py", data.get("ffile").get(a).asText());
        int rgb = data.get("fcol").get(a).asInt();
        String css = "rgb(" + (rgb >> 16 & 255) + "," + (rgb >> 8 & 255) + "," + (rgb & 255) + ")";
        assertEquals(FrameCategory.PROGRAM.color("heavy_a"), css);
        int t = (int) lfn[labels.indexOf("thread (1001): MainThread")];
        assertTrue(data.get("ffile").get(t).isNull(), "synthetic frames have no file");
    }

    @Test
    void everyFrameIsKeptByDefaultAndMinWidthPrunes() throws Exception {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 99_999, TestProfiles.fn("big"));
        TestProfiles.add(p, 1, TestProfiles.fn("sliver"));
        assertEquals(3, HtmlFlameGraphData.data(html(p, new HtmlFlameGraphWriter().options())).get("n").asInt());
        assertEquals(2, HtmlFlameGraphData.data(html(p, FlameGraphOptions.defaults())).get("n").asInt());
    }

    @Test
    void markupInNamesCannotBreakOutOfTheData() throws Exception {
        Profile p = new Profile("</script><script>alert(1)</script> & \"t\"", 0.01, 0);
        String nasty = "</script><b>x</b> & \"q\" <!-- \u2028";
        TestProfiles.add(p, 3, new FrameInfo(nasty, "a<b>&.py", 2, 1));
        byte[] bytes = html(p, FlameGraphOptions.defaults());
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertEquals(2, text.split("</script>", -1).length - 1, "only the two script elements end");
        assertFalse(text.contains("<b>x</b>"));
        assertTrue(text.contains("<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;t&quot;</title>"));
        JsonNode data = HtmlFlameGraphData.data(bytes);
        assertEquals(p.title(), data.get("title").asText());
        List<String> labels = new ArrayList<>();
        data.get("labels").forEach(l -> labels.add(l.asText()));
        assertTrue(labels.contains(nasty + " (a<b>&.py:2)"), labels.toString());
    }

    @Test
    void pageIsSelfContained() throws Exception {
        String text = new String(html(TestProfiles.heavy(), FlameGraphOptions.defaults()), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("<!DOCTYPE html>"));
        assertFalse(text.contains(" src="), "no external scripts or images");
        assertFalse(text.contains("<link"), "no external style sheets");
        assertFalse(text.contains("http://") || text.contains("https://"), "no network addresses");
        for (String needle : List.of("id=\"search\"", "id=\"unzoom\"", "id=\"resetsearch\"", "id=\"next\"",
                "id=\"prev\"", "id=\"inverted\"", "id=\"toptable\"", "id=\"details\"", "id=\"matched\"", "<canvas")) {
            assertTrue(text.contains(needle), needle);
        }
        for (FrameCategory c : FrameCategory.values()) {
            assertTrue(text.contains(c.legend), c.legend);
        }
    }

    @Test
    void outputIsDeterministic() throws Exception {
        assertArrayEquals(html(TestProfiles.heavy(), FlameGraphOptions.defaults()),
                html(TestProfiles.heavy(), FlameGraphOptions.defaults()));
    }

    @Test
    void emptyProfileGivesAPageSayingNoSamples() throws Exception {
        byte[] bytes = html(new Profile("nothing", 0.01, 0), FlameGraphOptions.defaults());
        assertEquals(0, HtmlFlameGraphData.data(bytes).get("n").asInt());
        assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("No samples"));
    }

    @Test
    void diffPageCarriesTheBeforeCounts() throws Exception {
        Profile before = new Profile("b", 0.01, 0);
        TestProfiles.add(before, 50, TestProfiles.fn("main"), TestProfiles.fn("slow"));
        TestProfiles.add(before, 50, TestProfiles.fn("main"), TestProfiles.fn("fast"));
        Profile after = new Profile("a", 0.01, 0);
        TestProfiles.add(after, 10, TestProfiles.fn("main"), TestProfiles.fn("slow"));
        TestProfiles.add(after, 30, TestProfiles.fn("main"), TestProfiles.fn("fast"));
        FlameGraphDiff diff = FlameGraphDiff.build(before, after, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new HtmlFlameGraphWriter(FlameGraphOptions.defaults()).writeDiff(diff, out);
        JsonNode data = HtmlFlameGraphData.data(out.toByteArray());
        assertEquals(100, data.get("diff").get("before").asLong());
        assertArrayEquals(new long[]{100, 100, 50, 50}, HtmlFlameGraphData.unvlq(data.get("diff").get("bt").asText()));
        assertArrayEquals(new long[]{0, 0, 50, 50}, HtmlFlameGraphData.unvlq(data.get("diff").get("bs").asText()));
        assertEquals(40, data.get("total").asLong());
    }

}
