package dev.pyspy.browser;

import static dev.pyspy.browser.BrowserTestSupport.js;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.output.AtomicFileOutput;
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

/** The canvas flame graph ({@code -f html}) in a real headless Chromium, driven by real input events. */
class HtmlFlameGraphBrowserTest extends ChromiumPageTest {
    @TempDir
    static Path dir;
    static Path heavy;

    @BeforeAll
    static void start() throws Exception {
        chromium = BrowserTestSupport.launchIfInstalled();
        if (chromium == null) {
            return;
        }
        heavy = dir.resolve("heavy.html");
        AtomicFileOutput.write(heavy, BrowserTestSupport.fixture("heavy.txt"),
                new HtmlFlameGraphWriter(FlameGraphOptions.defaults().withMinWidthFraction(0).withTitle("heavy")));
    }

    @AfterEach
    void noDialogs() {
        if (page != null) {
            assertEquals(List.of(), page.dialogs(), "the page opened no dialogs");
        }
    }

    int find(String infoPrefix) throws Exception {
        int i = (int) page.evalNumber("pyspy.find(" + js(infoPrefix) + ")");
        assertTrue(i >= 0, "no frame " + infoPrefix);
        return i;
    }

    /** Where frame {@code i} is drawn: {x, y, w, h, canvasWidth} in page pixels, or null. */
    JsonNode box(int i) throws Exception {
        return page.eval("pyspy.box(" + i + ")");
    }

    void hover(int i) throws Exception {
        JsonNode b = box(i);
        if (b.get("y").asDouble() < 100 || b.get("y").asDouble() > page.evalNumber("window.innerHeight") - 60) {
            page.eval("window.scrollBy(0, " + (b.get("y").asDouble() - 300) + ")");
            b = box(i);
        }
        page.mouseMove(b.get("x").asDouble() + b.get("w").asDouble() / 2, b.get("y").asDouble() + b.get("h").asDouble() / 2);
    }

    void clickFrame(int i) throws Exception {
        JsonNode b = box(i);
        page.click(b.get("x").asDouble() + Math.min(5, b.get("w").asDouble() / 2), b.get("y").asDouble() + b.get("h").asDouble() / 2);
    }

    void clickElement(String id) throws Exception {
        JsonNode b = page.eval("(function(){var r=document.getElementById(" + js(id) + ").getBoundingClientRect();"
                + "return {x:r.x,y:r.y,w:r.width,h:r.height};})()");
        assertTrue(b.get("w").asDouble() > 0, id + " is visible");
        page.click(b.get("x").asDouble() + b.get("w").asDouble() / 2, b.get("y").asDouble() + b.get("h").asDouble() / 2);
    }

    String text(String id) throws Exception {
        return page.evalString("document.getElementById(" + js(id) + ").textContent");
    }

    boolean visible(String id) throws Exception {
        return page.eval("document.getElementById(" + js(id) + ").getBoundingClientRect().width > 0").asBoolean();
    }

    /** The colour drawn in the middle of frame {@code i}: "r,g,b". */
    String pixel(int i) throws Exception {
        return page.evalString("(function(){var b=pyspy.box(" + i + "),c=document.getElementById('canvas'),"
                + "r=c.getBoundingClientRect(),d=window.devicePixelRatio||1;"
                + "var p=c.getContext('2d').getImageData(Math.round((b.x-r.left+2)*d),Math.round((b.y-r.top+b.h/2)*d),1,1).data;"
                + "return p[0]+','+p[1]+','+p[2];})()");
    }

    @Test
    void hoverShowsTheFrameDetails() throws Exception {
        long ms = page.navigate(BrowserTestSupport.url(heavy, null));
        assertTrue(ms < 10_000, "loaded in " + ms + " ms");
        hover(find("heavy_b (heavy.py:12) (70 samples"));
        assertEquals("heavy_b (heavy.py:12) (70 samples, 35.00%)", text("details"));
        hover(find("dot ("));
        assertEquals("dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) (30 samples, 15.00%)",
                text("details"));
    }

    @Test
    void clickZoomsToFullWidthAndResetZoomRestores() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        assertFalse(visible("unzoom"), "Reset Zoom hidden before zooming");
        int loop = find("worker_loop (heavy.py:18)");
        double before = box(loop).get("w").asDouble();
        clickFrame(loop);
        JsonNode z = box(loop);
        assertEquals(z.get("canvasWidth").asDouble(), z.get("w").asDouble(), 1e-6, "the frame is 100% wide");
        assertEquals(2 * before, z.get("w").asDouble(), 1, "it was 50%");
        assertEquals(0, z.get("x").asDouble() - box(0).get("x").asDouble(), 1e-6);
        assertTrue(box(find("main (heavy.py:25)")).isNull(), "frames beside it are hidden");
        JsonNode b = box(find("heavy_b (heavy.py:12) (70"));
        assertEquals(0.7 * z.get("w").asDouble(), b.get("w").asDouble(), 1e-6);
        assertTrue(visible("unzoom"), "Reset Zoom shown");
        assertEquals("Reset Zoom", text("unzoom"));
        assertTrue(page.evalString("location.search").contains("y=4"), page.evalString("location.search"));

        clickElement("unzoom");
        assertEquals(before, box(loop).get("w").asDouble(), 1e-6);
        assertFalse(box(find("main (heavy.py:25)")).isNull());
        assertFalse(visible("unzoom"));
        assertEquals("", page.evalString("location.search"));
    }

    @Test
    void ctrlFSearchHighlightsCountsEachSampleOnceAndStepsThroughMatches() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        int a60 = find("heavy_a (heavy.py:5) (60");
        int a30 = find("heavy_a (heavy.py:5) (30");
        String plain = pixel(a60);
        page.key("f", "KeyF", 70, Page.CTRL);
        assertEquals("search", page.evalString("document.activeElement.id"), "Ctrl-F focuses the search box");
        page.type("heavy_a");
        // the search runs as one types (after a short pause)
        page.waitFor("pyspy.state().search === 'heavy_a'", 10);
        assertEquals("Matched: 45.0%", text("matched"));
        assertEquals("230,0,230", pixel(a60));
        assertEquals("230,0,230", pixel(a30));
        assertFalse(plain.equals("230,0,230"));
        assertTrue(visible("resetsearch"));
        assertEquals("2 matches", text("matchpos"));
        assertTrue(page.evalString("location.search").contains("s=heavy_a"));

        // Enter again steps to the first match, then the next; Shift+Enter goes back
        page.key("Enter", "Enter", 13, 0);
        assertEquals(a60, page.eval("pyspy.state().zoomed").asInt());
        assertEquals("1 of 2 matches", text("matchpos"));
        assertTrue(text("details").startsWith("Match 1 of 2: heavy_a (heavy.py:5) (60 samples"), text("details"));
        clickElement("next");
        assertEquals(a30, page.eval("pyspy.state().zoomed").asInt());
        assertEquals(box(a30).get("canvasWidth").asDouble(), box(a30).get("w").asDouble(), 1e-6);
        page.key("F3", "F3", 114, Page.SHIFT);
        assertEquals(a60, page.eval("pyspy.state().zoomed").asInt(), "Shift+F3: previous match");
        page.eval("document.getElementById('search').focus()");
        page.key("Enter", "Enter", 13, Page.SHIFT);
        assertEquals(a30, page.eval("pyspy.state().zoomed").asInt(), "Shift+Enter: previous match, wrapping around");
        assertEquals("2 of 2 matches", text("matchpos"));
        clickElement("unzoom");

        // nested matches: worker_loop holds heavy_a and heavy_b; 60 + 30 + 100 of 200 samples
        page.eval("(function(){var s=document.getElementById('search');s.focus();s.select();})()");
        page.type("heavy_.|worker_loop");
        page.waitFor("pyspy.state().search === 'heavy_.|worker_loop'", 10);
        assertEquals("Matched: 95.0%", text("matched"));

        clickElement("resetsearch");
        assertEquals("", text("matched"));
        assertEquals(plain, pixel(a60));
        assertFalse(page.evalString("location.search").contains("s="));
    }

    /** A link whose expression backtracks for ever in RegExp: the page loads, answers clicks and searches on. */
    @Test
    void hostileSearchLinkLeavesThePageAnswering() throws Exception {
        long t0 = System.nanoTime();
        page.navigate(BrowserTestSupport.url(heavy, "?s=" + BrowserTestSupport.query(BrowserTestSupport.HOSTILE)));
        assertEquals(BrowserTestSupport.HOSTILE, page.evalString("pyspy.state().search"));
        assertEquals("no matches", text("matchpos"));
        int loop = find("worker_loop (heavy.py:18)");
        clickFrame(loop);
        assertEquals(loop, page.eval("pyspy.state().zoomed").asInt(), "a click zooms");
        page.eval("(function(){var s=document.getElementById('search');s.focus();s.select();})()");
        page.type("heavy_b");
        page.waitFor("pyspy.state().search === 'heavy_b'", 2);
        assertEquals("Matched: 70.0%", text("matched"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "loaded, zoomed and searched again in " + ms + " ms");
    }

    @Test
    void searchesThatCannotRunInBoundedTimeSaySo() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, "?s=" + BrowserTestSupport.query("(.+)+\\1X")));
        assertEquals("Search not run: backreferences are not supported", text("matchpos"));
        assertEquals("", text("matched"));
        assertEquals(0, page.eval("pyspy.state().highlighted").asInt());
        page.eval("pyspy.search('heavy_b')");
        assertEquals("Matched: 50.0%", text("matched"), "the next search runs");
    }

    @Test
    void regularExpressionsMatchAsInRegExp() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, "?s=" + BrowserTestSupport.query(BrowserTestSupport.REGEX)));
        assertEquals("Matched: 95.0%", text("matched"));
        assertEquals("4 matches", text("matchpos"));
        assertTrue(page.eval("pyspy.isHighlighted(" + find("heavy_b (heavy.py:12) (70") + ")").asBoolean());
        assertFalse(page.eval("pyspy.isHighlighted(" + find("worker_loop (") + ")").asBoolean());
    }

    @Test
    void urlRestoresSearchZoomAndOrientation() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, "?s=heavy_b"));
        assertEquals("Matched: 50.0%", text("matched"));
        assertEquals("heavy_b", page.evalString("document.getElementById('search').value"));
        assertEquals("230,0,230", pixel(find("heavy_b (heavy.py:12) (70")));

        page.navigate(BrowserTestSupport.url(heavy, "?x=100&y=4&s=heavy_b"));
        int loop = find("worker_loop (heavy.py:18)");
        assertEquals(box(loop).get("canvasWidth").asDouble(), box(loop).get("w").asDouble(), 1e-6);
        assertEquals("Matched: 70.0%", text("matched"), "matches counted within the zoomed frame");

        page.navigate(BrowserTestSupport.url(heavy, "?i=1"));
        assertTrue(page.eval("document.getElementById('inverted').checked").asBoolean());
        assertTrue(box(0).get("y").asDouble() > box(find("dot (")).get("y").asDouble(), "root at the bottom");
    }

    @Test
    void invertedToggleFlipsTheGraph() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        int dot = find("dot (");
        assertTrue(box(0).get("y").asDouble() < box(dot).get("y").asDouble(), "icicle: root on top");
        clickElement("inverted");
        assertTrue(box(0).get("y").asDouble() > box(dot).get("y").asDouble(), "flame: root at the bottom");
        assertTrue(page.evalString("location.search").contains("i=1"));
        hover(dot);
        assertTrue(text("details").startsWith("dot ("), "hit testing follows the orientation");
    }

    @Test
    void tableOfTopFunctionsSortsAndSearches() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        assertFalse(visible("toptable"));
        clickElement("tablebtn");
        assertTrue(visible("toptable"));
        JsonNode rows = page.eval("Array.prototype.map.call(document.querySelectorAll('#toptable tbody tr'),"
                + "function(r){return Array.prototype.map.call(r.cells,function(c){return c.textContent;});})");
        assertEquals(List.of("heavy_b (heavy.py)", "100", "50.00%", "100", "50.00%"), list(rows.get(0)));
        assertEquals(List.of("heavy_a (heavy.py)", "60", "30.00%", "90", "45.00%"), list(rows.get(1)));
        assertEquals(List.of("dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py)", "30", "15.00%", "30",
                "15.00%"), list(rows.get(2)));
        assertEquals("descending", page.evalString("document.querySelector('#toptable th[data-k=self]').getAttribute('aria-sort')"));

        page.eval("document.querySelector('#toptable th[data-k=total]').scrollIntoView()");
        clickElement2("#toptable th[data-k=total]");
        JsonNode totals = page.eval("Array.prototype.map.call(document.querySelectorAll('#toptable tbody tr'),"
                + "function(r){return +r.cells[3].textContent;})");
        for (int i = 1; i < totals.size(); i++) {
            assertTrue(totals.get(i - 1).asDouble() >= totals.get(i).asDouble(), totals.toString());
        }
        assertEquals(30, totals.get(totals.size() - 1).asInt());
        clickElement2("#toptable th[data-k=total]");
        assertEquals("ascending", page.evalString("document.querySelector('#toptable th[data-k=total]').getAttribute('aria-sort')"));

        clickElement2("#toptable tbody tr[data-f] td");
        assertNotNull(page.evalString("pyspy.state().search"));
        assertEquals("Matched: " + "15.0%", text("matched"), "the row ascending by total is dot");
    }

    @Test
    void veryDeepStacksStayWithinTheCanvasLimitsAndFollowTheZoom() throws Exception {
        // 5,000 frames deep: 80,000 pixels at 16 a row, more than a canvas may have
        StringBuilder line = new StringBuilder();
        for (int d = 0; d < 5000; d++) {
            line.append(d == 0 ? "" : ";").append("recurse (deep.py:").append(d).append(')');
        }
        Path in = dir.resolve("deep.txt");
        java.nio.file.Files.writeString(in, line + " 7\n" + "shallow (deep.py:1) 3\n");
        Path deep = dir.resolve("deep.html");
        AtomicFileOutput.write(deep, dev.pyspy.output.CollapsedStackReader.read(in), new HtmlFlameGraphWriter());
        page.navigate(BrowserTestSupport.url(deep, null));
        assertTrue(page.evalNumber("document.getElementById('canvas').height") <= 32767);
        assertFalse(box(1).isNull(), "the top rows are drawn");
        int deepest = (int) page.evalNumber("pyspy.find('recurse (deep.py:4999)')");
        assertTrue(box(deepest).isNull(), "beyond the rows shown");
        page.eval("pyspy.zoom(" + deepest + ")");
        JsonNode z = box(deepest);
        assertFalse(z.isNull(), "zooming brings it into view");
        assertEquals(z.get("canvasWidth").asDouble(), z.get("w").asDouble(), 1e-6);
        hover(deepest);
        assertEquals("recurse (deep.py:4999) (7 samples, 70.00%)", text("details"));
    }

    void clickElement2(String selector) throws Exception {
        JsonNode b = page.eval("(function(){var e=document.querySelector(" + js(selector) + ");e.scrollIntoView({block:'center'});"
                + "var r=e.getBoundingClientRect();return {x:r.x,y:r.y,w:r.width,h:r.height};})()");
        page.click(b.get("x").asDouble() + Math.min(10, b.get("w").asDouble() / 2), b.get("y").asDouble() + b.get("h").asDouble() / 2);
    }

    static List<String> list(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
