package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class FlameGraphDiffTest {
    static final FrameInfo MAIN = TestProfiles.fn("main");
    static final FrameInfo SLOW = TestProfiles.fn("slow");
    static final FrameInfo FAST = TestProfiles.fn("fast");
    static final FrameInfo NEW = TestProfiles.fn("added");
    static final FrameInfo OLD = TestProfiles.fn("removed");

    /** before: 200 samples, main;slow 100, main;fast 80, main;removed 20. */
    static Profile before(int scale) {
        Profile p = new Profile("before", 0.01, 0);
        TestProfiles.add(p, 100L * scale, MAIN, SLOW);
        TestProfiles.add(p, 80L * scale, MAIN, FAST);
        TestProfiles.add(p, 20L * scale, MAIN, OLD);
        return p;
    }

    /** after: 100 samples, main;slow 20, main;fast 50, main;added 20, main 10. */
    static Profile after() {
        Profile p = new Profile("after", 0.01, 0);
        TestProfiles.add(p, 20, MAIN, SLOW);
        TestProfiles.add(p, 50, MAIN, FAST);
        TestProfiles.add(p, 20, MAIN, NEW);
        TestProfiles.add(p, 10, MAIN);
        return p;
    }

    static int index(FlameGraphDiff d, String label) {
        List<FlameGraphLayout.Node> nodes = d.layout().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).label().startsWith(label)) {
                return i;
            }
        }
        throw new AssertionError(label);
    }

    @Test
    void widthsComeFromAfterAndCountsFromBefore() {
        FlameGraphDiff d = FlameGraphDiff.build(before(1), after(), 0);
        assertEquals(FlameGraphLayout.build(after(), 0).nodes().stream().map(FlameGraphLayout.Node::toString).toList(),
                d.layout().nodes().stream().map(FlameGraphLayout.Node::toString).toList());
        assertEquals(200, d.beforeTotal());
        assertEquals(100, d.afterTotal());
        assertEquals(200, d.beforeTotal(0));
        assertEquals(200, d.beforeTotal(index(d, "main")));
        assertEquals(100, d.beforeTotal(index(d, "slow")));
        assertEquals(80, d.beforeTotal(index(d, "fast")));
        assertEquals(0, d.beforeTotal(index(d, "added")), "new in after");
        // main's own area: 200 - (100 + 80) in before (removed is not drawn), 10 in after
        assertEquals(20, d.beforeSelf(index(d, "main")));
        assertEquals(10, d.afterSelf(index(d, "main")));
    }

    @Test
    void changesAreSharesOfEachProfilesTotal() {
        FlameGraphDiff d = FlameGraphDiff.build(before(1), after(), 0);
        assertEquals(0.20 - 0.50, d.selfDelta(index(d, "slow")), 1e-12);
        assertEquals(0.50 - 0.40, d.selfDelta(index(d, "fast")), 1e-12);
        assertEquals(0.20, d.selfDelta(index(d, "added")), 1e-12);
        assertEquals(0.10 - 0.10, d.selfDelta(index(d, "main")), 1e-12);
        assertEquals(0.0, d.totalDelta(0), 1e-12, "the root is always 100%");
        assertEquals(0.30, d.maxAbsSelfDelta(), 1e-12);
        assertEquals(0.10, d.goneFraction(), 1e-12, "main;removed: 20 of 200 before samples");
    }

    @Test
    void normalisationIgnoresHowLongEachProfileRan() {
        FlameGraphDiff once = FlameGraphDiff.build(before(1), after(), 0);
        FlameGraphDiff tenTimes = FlameGraphDiff.build(before(10), after(), 0);
        for (int i = 0; i < once.layout().nodes().size(); i++) {
            assertEquals(once.selfDelta(i), tenTimes.selfDelta(i), 1e-12);
            assertEquals(once.totalDelta(i), tenTimes.totalDelta(i), 1e-12);
        }
        FlameGraphDiff same = FlameGraphDiff.build(after(), after(), 0);
        for (int i = 0; i < same.layout().nodes().size(); i++) {
            assertEquals(0.0, same.selfDelta(i), 1e-12);
        }
        assertEquals(0.0, same.maxAbsSelfDelta());
    }

    @Test
    void colourIsRedForGrowthBlueForShrinkageIntensityBySize() {
        assertEquals(0xECECEC, FlameGraphDiff.rgb(0, 0.3), "no change: near-white");
        assertEquals(0xDE2020, FlameGraphDiff.rgb(0.3, 0.3), "largest growth: full red");
        assertEquals(0x2454DE, FlameGraphDiff.rgb(-0.3, 0.3), "largest shrinkage: full blue");
        int half = FlameGraphDiff.rgb(0.15, 0.3);
        assertTrue((half >> 16 & 255) > (half & 255) && (half & 255) > 0x20 && (half & 255) < 0xEC, Integer.toHexString(half));
        int small = FlameGraphDiff.rgb(-0.03, 0.3);
        int big = FlameGraphDiff.rgb(-0.2, 0.3);
        assertTrue((small >> 16 & 255) > (big >> 16 & 255), "a larger change is more saturated");
        assertEquals(0xECECEC, FlameGraphDiff.rgb(0, 0), "nothing changed anywhere");
    }

    @Test
    void prunedFramesCountInTheirParentsSelfInBothProfiles() {
        Profile before = new Profile("b", 0.01, 0);
        TestProfiles.add(before, 900, MAIN, SLOW);
        TestProfiles.add(before, 100, MAIN, FAST);
        Profile after = new Profile("a", 0.01, 0);
        TestProfiles.add(after, 999, MAIN, SLOW);
        TestProfiles.add(after, 1, MAIN, FAST); // 0.1% of after: pruned at 0.2%
        FlameGraphDiff d = FlameGraphDiff.build(before, after, 0.002);
        assertEquals(3, d.layout().nodes().size());
        int main = index(d, "main");
        assertEquals(1, d.afterSelf(main));
        assertEquals(100, d.beforeSelf(main), "fast is not drawn: its before samples are main's area");
        assertEquals(0.001 - 0.1, d.selfDelta(main), 1e-12);
    }

    @Test
    void svgShowsBothCountsAndTheDeltaAndColoursByChange() throws Exception {
        FlameGraphDiff d = FlameGraphDiff.build(before(1), after(), 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new DiffFlameGraphWriter(FlameGraphOptions.defaults().withMinWidthFraction(0)).write(d, out);
        Document doc = SvgFlameGraphs.parse(out.toByteArray());
        Map<String, Element> frames = SvgFlameGraphs.frames(doc);
        String slow = "slow (app.py:1) (before: 100 samples, 50.00%; after: 20 samples, 20.00%; change -30.00%, self -30.00%)";
        assertTrue(frames.containsKey(slow), frames.keySet().toString());
        assertEquals("rgb(36,84,222)", SvgFlameGraphs.rect(frames.get(slow)).getAttribute("fill"));
        String added = "added (app.py:1) (before: 0 samples, 0.00%; after: 20 samples, 20.00%; change +20.00%, self +20.00%)";
        assertTrue(frames.containsKey(added), frames.keySet().toString());
        String fill = SvgFlameGraphs.rect(frames.get(added)).getAttribute("fill");
        assertEquals(FlameGraphDiff.css(FlameGraphDiff.rgb(0.2, 0.3)), fill);
        assertTrue(frames.containsKey("all (before: 200 samples, 100.00%; after: 100 samples, 100.00%; change 0.00%, self 0.00%)"));
        String legend = SvgFlameGraphs.byId(doc, "legend").getTextContent();
        assertTrue(legend.contains("grew") && legend.contains("shrank") && legend.contains("before: 200 samples, after: 100 samples")
                && legend.contains("10.0% of before is on paths absent from after"), legend);
        assertEquals("Differential flame graph", SvgFlameGraphs.byId(doc, "title").getTextContent());
    }

    @Test
    void signedPercentages() {
        assertEquals("+1.25%", DiffFlameGraphWriter.signedPercent(0.0125));
        assertEquals("-0.50%", DiffFlameGraphWriter.signedPercent(-0.005));
        assertEquals("0.00%", DiffFlameGraphWriter.signedPercent(-0.00001));
    }
}
