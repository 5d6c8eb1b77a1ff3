package dev.pyspy.browser;

import static dev.pyspy.browser.BrowserTestSupport.js;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.output.AtomicFileOutput;
import dev.pyspy.output.FlameGraphOptions;
import dev.pyspy.output.FlameGraphWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SVG flame graph's script, exercised in a real headless Chromium with real mouse and keyboard input. */
class SvgFlameGraphBrowserTest extends ChromiumPageTest {
    @TempDir
    static Path dir;
    static Path heavy;

    @BeforeAll
    static void start() throws Exception {
        chromium = BrowserTestSupport.launchIfInstalled();
        if (chromium == null) {
            return;
        }
        heavy = dir.resolve("heavy.svg");
        AtomicFileOutput.write(heavy, BrowserTestSupport.fixture("heavy.txt"),
                new FlameGraphWriter(FlameGraphOptions.defaults().withTitle("pyspy record -- python heavy.py")));
    }

    /** Screen box of the frame whose tooltip starts with {@code info}: {x, y, w, h, widthAttr, fill, hidden}. */
    JsonNode frame(String info) throws Exception {
        return page.eval("(function(){var gs=document.querySelectorAll('#frames g.f');"
                + "for(var i=0;i<gs.length;i++){var t=gs[i].querySelector('title').textContent;"
                + "if(t.indexOf(" + js(info) + ")===0){var r=gs[i].querySelector('rect');var b=r.getBoundingClientRect();"
                + "return {x:b.x,y:b.y,w:b.width,h:b.height,width:r.getAttribute('width'),fill:r.getAttribute('fill'),"
                + "hidden:gs[i].classList.contains('hide'),parent:gs[i].classList.contains('parent')};}}return null;})()");
    }

    String text(String id) throws Exception {
        return page.evalString("document.getElementById(" + js(id) + ").textContent");
    }

    void hover(JsonNode f) throws Exception {
        page.mouseMove(f.get("x").asDouble() + f.get("w").asDouble() / 2, f.get("y").asDouble() + f.get("h").asDouble() / 2);
    }

    void click(JsonNode f) throws Exception {
        page.click(f.get("x").asDouble() + Math.min(5, f.get("w").asDouble() / 2), f.get("y").asDouble() + f.get("h").asDouble() / 2);
    }

    @Test
    void hoverShowsTheFrameDetails() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        hover(frame("heavy_b (heavy.py:12) (70 samples"));
        assertEquals("heavy_b (heavy.py:12) (70 samples, 35.00%)", text("details"));
        hover(frame("dot ("));
        assertEquals("dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) (30 samples, 15.00%)",
                text("details"));
    }

    @Test
    void clickZoomsToFullWidthAndResetZoomRestores() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        assertTrue(page.eval("document.getElementById('unzoom').getBoundingClientRect().width === 0").asBoolean(),
                "Reset Zoom hidden before zooming");
        click(frame("worker_loop (heavy.py:18)"));
        JsonNode z = frame("worker_loop (heavy.py:18)");
        assertEquals("100%", z.get("width").asText());
        JsonNode root = frame("all (");
        assertEquals(root.get("w").asDouble(), z.get("w").asDouble(), 0.5, "as wide as the whole graph");
        assertTrue(root.get("parent").asBoolean(), "ancestors dimmed");
        assertTrue(frame("main (heavy.py:25)").get("hidden").asBoolean(), "frames beside it hidden");
        assertEquals("70%", frame("heavy_b (heavy.py:12) (70").get("width").asText());
        assertTrue(page.eval("document.getElementById('unzoom').getBoundingClientRect().width > 0").asBoolean(),
                "Reset Zoom shown");
        assertEquals("Reset Zoom", text("unzoom"));
        assertTrue(page.evalString("location.search").contains("y=4"), page.evalString("location.search"));

        JsonNode reset = page.eval("(function(){var b=document.getElementById('unzoom').getBoundingClientRect();"
                + "return {x:b.x,y:b.y,w:b.width,h:b.height};})()");
        hover(reset);
        page.click(reset.get("x").asDouble() + reset.get("w").asDouble() / 2, reset.get("y").asDouble() + reset.get("h").asDouble() / 2);
        assertEquals("50%", frame("worker_loop (heavy.py:18)").get("width").asText());
        assertTrue(!frame("main (heavy.py:25)").get("hidden").asBoolean());
        assertEquals("", page.evalString("location.search"));
    }

    @Test
    void ctrlFSearchHighlightsAndCountsEachSampleOnce() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        String fill = frame("heavy_a (heavy.py:5) (60").get("fill").asText();
        page.answerPrompts("heavy_a");
        page.key("f", "KeyF", 70, Page.CTRL);
        page.waitFor("document.getElementById('matched').textContent.indexOf('Matched') === 0", 10);
        assertEquals("Matched: 45.0%", text("matched"));
        assertEquals("rgb(230,0,230)", frame("heavy_a (heavy.py:5) (60").get("fill").asText());
        assertEquals("rgb(230,0,230)", frame("heavy_a (heavy.py:5) (30").get("fill").asText());
        assertTrue(!fill.equals("rgb(230,0,230)"));
        assertEquals("Reset Search", text("search"));
        assertTrue(page.evalString("location.search").contains("s=heavy_a"));

        // nested matches: worker_loop holds heavy_a and heavy_b; 60 + 30 + 100 of 200 samples
        page.answerPrompts("heavy_.|worker_loop");
        page.key("f", "KeyF", 70, Page.CTRL);
        page.waitFor("document.getElementById('matched').textContent === 'Matched: 95.0%'", 10);
    }

    @Test
    void searchButtonPromptsAndResetSearchClears() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        String fill = frame("dot (").get("fill").asText();
        page.answerPrompts("(?i)DOT");
        clickText("search");
        page.waitFor("document.getElementById('matched').textContent.indexOf('Matched') === 0", 10);
        assertEquals("Matched: 15.0%", text("matched"), "(?i) makes the search ignore case");
        assertEquals("rgb(230,0,230)", frame("dot (").get("fill").asText());
        assertEquals("Reset Search", text("search"));
        assertEquals(1, page.dialogs().size());
        assertTrue(page.dialogs().get(0).startsWith("prompt: Search frames (regular expression"), page.dialogs().toString());

        clickText("search");
        assertEquals("Search", text("search"));
        assertEquals(" ", text("matched"));
        assertEquals(fill, frame("dot (").get("fill").asText());
        assertEquals("", page.evalString("location.search"));
    }

    @Test
    void matchedCountsOnlyTheZoomedFramesSamples() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, "?s=heavy_b"));
        click(frame("worker_loop (heavy.py:18)"));
        assertEquals("Matched: 70.0%", text("matched"));
        click(frame("all ("));
        assertEquals("Matched: 50.0%", text("matched"), "clicking the root unzooms");
    }

    @Test
    void graphFitsTheWindowWidth() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        double window = page.evalNumber("window.innerWidth");
        assertEquals(window - 20, frame("all (").get("w").asDouble(), 1, "root spans the window less the padding");
        assertEquals((window - 20) / 2, frame("worker_loop (heavy.py:18)").get("w").asDouble(), 1);
        // labels are re-fitted to the width: the dot label is cut with ".." at this size
        String dot = page.evalString("(function(){var gs=document.querySelectorAll('#frames g.f');for(var i=0;i<gs.length;i++){"
                + "if(gs[i].querySelector('title').textContent.indexOf('dot (')===0){return gs[i].querySelector('text').textContent;}}})()");
        assertTrue(dot.startsWith("dot (/venv") && dot.endsWith(".."), dot);
    }

    @Test
    void markupInNamesIsShownAsText() throws Exception {
        Path markup = dir.resolve("markup.svg");
        AtomicFileOutput.write(markup, BrowserTestSupport.fixture("markup.txt"),
                new FlameGraphWriter(FlameGraphOptions.defaults().withTitle("<b>&\"title\"</b>")));
        page.navigate(BrowserTestSupport.url(markup, null));
        assertEquals("svg", page.evalString("document.documentElement.localName"), "parsed as SVG, not an error page");
        assertEquals("<b>&\"title\"</b>", text("title"));
        hover(frame("<lambda> & \"quoted\" <tag>"));
        assertEquals("<lambda> & \"quoted\" <tag> (a<b>&\"c\".py:2) (3 samples, 75.00%)", text("details"));
        page.navigate(BrowserTestSupport.url(markup, "?s=%5Ex%5D%5D"));
        assertEquals("Matched: 25.0%", text("matched"));
    }

    void clickText(String id) throws Exception {
        JsonNode b = page.eval("(function(){var r=document.getElementById(" + js(id) + ").getBoundingClientRect();"
                + "return {x:r.x,y:r.y,w:r.width,h:r.height};})()");
        page.click(b.get("x").asDouble() + b.get("w").asDouble() / 2, b.get("y").asDouble() + b.get("h").asDouble() / 2);
    }

    /** A link whose expression backtracks for ever in RegExp: the page loads, answers clicks and searches on. */
    @Test
    void hostileSearchLinkLeavesThePageAnswering() throws Exception {
        long t0 = System.nanoTime();
        page.navigate(BrowserTestSupport.url(heavy, "?s=" + BrowserTestSupport.query(BrowserTestSupport.HOSTILE)));
        assertEquals("Matched: 0.0%", text("matched"));
        assertEquals("Reset Search", text("search"));
        click(frame("worker_loop (heavy.py:18)"));
        assertEquals("100%", frame("worker_loop (heavy.py:18)").get("width").asText(), "a click zooms");
        page.answerPrompts("heavy_b");
        page.key("f", "KeyF", 70, Page.CTRL);
        page.waitFor("document.getElementById('matched').textContent === 'Matched: 70.0%'", 2);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "loaded, zoomed and searched again in " + ms + " ms");
    }

    @Test
    void searchesThatCannotRunInBoundedTimeSaySo() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, null));
        String fill = frame("dot (").get("fill").asText();
        page.navigate(BrowserTestSupport.url(heavy, "?s=" + BrowserTestSupport.query("(?<=x)dot")));
        assertEquals("Search not run: lookaround is not supported", text("matched"));
        assertEquals(fill, frame("dot (").get("fill").asText(), "nothing highlighted");
        page.answerPrompts("heavy_b");
        page.key("f", "KeyF", 70, Page.CTRL);
        page.waitFor("document.getElementById('matched').textContent === 'Matched: 50.0%'", 10);
    }

    @Test
    void regularExpressionsMatchAsInRegExp() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, "?s=" + BrowserTestSupport.query(BrowserTestSupport.REGEX)));
        assertEquals("Matched: 95.0%", text("matched"));
        assertEquals("rgb(230,0,230)", frame("heavy_b (heavy.py:12) (70").get("fill").asText());
        assertTrue(!frame("worker_loop (").get("fill").asText().equals("rgb(230,0,230)"));
    }

    @Test
    void urlRestoresSearchAndZoom() throws Exception {
        page.navigate(BrowserTestSupport.url(heavy, "?s=heavy_b"));
        assertEquals("Matched: 50.0%", text("matched"));
        assertEquals("rgb(230,0,230)", frame("heavy_b (heavy.py:12) (70").get("fill").asText());
        page.navigate(BrowserTestSupport.url(heavy, "?x=100&y=4"));
        assertEquals("100%", frame("worker_loop (heavy.py:18)").get("width").asText());
    }
}
