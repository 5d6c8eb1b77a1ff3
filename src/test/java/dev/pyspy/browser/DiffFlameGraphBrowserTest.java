package dev.pyspy.browser;

import static dev.pyspy.browser.BrowserTestSupport.js;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.output.AtomicFileOutput;
import dev.pyspy.output.DiffFlameGraphWriter;
import dev.pyspy.output.FlameGraphDiff;
import dev.pyspy.output.FlameGraphOptions;
import dev.pyspy.output.HtmlFlameGraphWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Differential flame graphs (SVG and HTML) in Chromium: hover shows both counts and the change; colours. */
class DiffFlameGraphBrowserTest extends ChromiumPageTest {
    static final String SLOW = "slow (app.py:20) (before: 100 samples, 50.00%; after: 20 samples, 20.00%; "
            + "change -30.00%, self -30.00%)";
    static final String FAST = "fast (app.py:30) (before: 80 samples, 40.00%; after: 50 samples, 50.00%; "
            + "change +10.00%, self +10.00%)";
    @TempDir
    static Path dir;
    static Path svg;
    static Path html;

    @BeforeAll
    static void start() throws Exception {
        chromium = BrowserTestSupport.launchIfInstalled();
        if (chromium == null) {
            return;
        }
        FlameGraphOptions options = FlameGraphOptions.defaults().withMinWidthFraction(0).withTitle("diff");
        FlameGraphDiff diff = FlameGraphDiff.build(BrowserTestSupport.fixture("diff-before.txt"),
                BrowserTestSupport.fixture("diff-after.txt"), 0);
        svg = dir.resolve("diff.svg");
        html = dir.resolve("diff.html");
        AtomicFileOutput.write(svg, out -> new DiffFlameGraphWriter(options).write(diff, out));
        AtomicFileOutput.write(html, out -> new HtmlFlameGraphWriter(options).writeDiff(diff, out));
    }

    @Test
    void svgHoverShowsBothCountsAndTheChange() throws Exception {
        page.navigate(BrowserTestSupport.url(svg, null));
        JsonNode b = page.eval("(function(){var gs=document.querySelectorAll('#frames g.f');for(var i=0;i<gs.length;i++){"
                + "if(gs[i].querySelector('title').textContent.indexOf('slow ')===0){var r=gs[i].querySelector('rect');"
                + "var c=r.getBoundingClientRect();return {x:c.x,y:c.y,w:c.width,h:c.height,fill:r.getAttribute('fill')};}}})()");
        page.mouseMove(b.get("x").asDouble() + b.get("w").asDouble() / 2, b.get("y").asDouble() + b.get("h").asDouble() / 2);
        assertEquals(SLOW, page.evalString("document.getElementById('details').textContent"));
        assertEquals("rgb(36,84,222)", b.get("fill").asText(), "the largest shrinkage is full blue");
        // search still works on the labels of a diff
        page.navigate(BrowserTestSupport.url(svg, "?s=fast|added"));
        assertEquals("Matched: 70.0%", page.evalString("document.getElementById('matched').textContent"));
    }

    @Test
    void htmlHoverShowsBothCountsAndTheChange() throws Exception {
        page.navigate(BrowserTestSupport.url(html, null));
        int slow = (int) page.evalNumber("pyspy.find('slow ')");
        int fast = (int) page.evalNumber("pyspy.find('fast ')");
        JsonNode b = page.eval("pyspy.box(" + slow + ")");
        page.mouseMove(b.get("x").asDouble() + b.get("w").asDouble() / 2, b.get("y").asDouble() + b.get("h").asDouble() / 2);
        assertEquals(SLOW, page.evalString("document.getElementById('details').textContent"));
        assertEquals(FAST, page.evalString("pyspy.info(" + fast + ")"));
        String pixel = "(function(i){var b=pyspy.box(i),c=document.getElementById('canvas'),r=c.getBoundingClientRect(),"
                + "d=window.devicePixelRatio||1;var p=c.getContext('2d').getImageData(Math.round((b.x-r.left+2)*d),"
                + "Math.round((b.y-r.top+b.h/2)*d),1,1).data;return p[0]+','+p[1]+','+p[2];})";
        assertEquals("36,84,222", page.evalString(pixel + "(" + slow + ")"), "full blue");
        String red = page.evalString(pixel + "(" + fast + ")");
        String[] rgb = red.split(",");
        assertTrue(Integer.parseInt(rgb[0]) > Integer.parseInt(rgb[2]), "fast grew: reddish, " + red);
        page.eval("pyspy.search('fast|added')");
        assertEquals("Matched: 70.0%", page.evalString("document.getElementById('matched').textContent"));
        page.eval("document.getElementById('tablebtn').click()");
        JsonNode first = page.eval("Array.prototype.map.call(document.querySelector('#toptable tbody tr').cells,"
                + "function(c){return c.textContent;})");
        assertEquals("fast (app.py)", first.get(0).asText());
        assertEquals("+10.00%", first.get(3).asText(), "self change column");
        assertTrue(page.evalString("document.getElementById('legend').textContent").contains("grew"));
        assertEquals(js("x"), "\"x\"");
    }
}
