package dev.pyspy.browser;

import dev.pyspy.testing.NeedsRoot;
import static dev.pyspy.browser.BrowserTestSupport.js;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code --format heatmap} of a real recording, looked at in headless Chromium. */
@NeedsRoot
class HeatmapBrowserTest extends ChromiumPageTest {
    static Path heatmap;
    static int hotLine;
    static String script;
    static Path partlyMissing;

    @BeforeAll
    static void record() throws Exception {
        chromium = BrowserTestSupport.launchIfInstalled();
        if (chromium == null) {
            return;
        }
        List<Interpreter> pythons = Interpreters.host().stream().filter(i -> !i.isPython2() && !i.freeThreaded()).toList();
        Assumptions.assumeTrue(!pythons.isEmpty(), "no Python 3 interpreter on this machine");
        Interpreter python = pythons.get(pythons.size() - 1);
        Path scripts = TargetProcess.scripts("hot_line_target.py");
        Path staged = python.stage(scripts.resolve("hot_line_target.py"));
        Path truth = staged.resolveSibling("hot-" + System.nanoTime() + ".json");
        heatmap = scripts.resolve("heatmap.html");
        List<String> args = new ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "-f", "heatmap", "-o",
                heatmap.toString(), "--"));
        args.addAll(python.command(python.inside(staged), python.inside(truth), "8"));
        PyspyCli.Result r = PyspyCli.run(120, args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        // launching and attaching can take seconds on a loaded machine: the target runs long enough to be sampled
        assertTrue(!r.stderr().contains("Samples: 0 "), r.toString());
        hotLine = new ObjectMapper().readTree(truth.toFile()).get("hot_line").asInt();
        script = python.inside(staged);
        // a profile with one frame whose source the page shows and one whose file does not exist
        Path shown = scripts.resolve("shown.py");
        Files.writeString(shown, "def hot():\n    return 1  # HOT\n");
        Path stacks = scripts.resolve("partly-missing.txt");
        Files.writeString(stacks, "gone (/nonexistent/gone.py:3);hot (" + shown + ":2) 10\n");
        partlyMissing = scripts.resolve("partly-missing.html");
        PyspyCli.Result rendered = PyspyCli.run(60, "render", "-f", "heatmap", "-o", partlyMissing.toString(),
                stacks.toString());
        assertEquals(0, rendered.exitCode(), rendered.toString());
    }

    /** The index of the script's file in the page's file index. */
    int scriptFile() throws Exception {
        return (int) page.evalNumber("(function(){var a=document.querySelectorAll('#files a');for(var i=0;i<a.length;i++)"
                + "{if(a[i].textContent.endsWith('hot_line_target.py'))return parseInt(a[i].getAttribute('href').slice(2));}"
                + "return -1;})()");
    }

    @Test
    void theHottestLineIsTheMostShaded() throws Exception {
        page.navigate(BrowserTestSupport.url(heatmap, null));
        JsonNode most = page.eval("(function(){var best=null,alpha=-1;document.querySelectorAll('tr.hit').forEach("
                + "function(tr){var m=getComputedStyle(tr).backgroundColor.match(/rgba?\\(([^)]*)\\)/);"
                + "var parts=m[1].split(',');var a=parts.length>3?parseFloat(parts[3]):1;"
                + "if(a>alpha){alpha=a;best=tr;}});return {id:best.id,alpha:alpha,"
                + "code:best.querySelector('td.code').textContent};})()");
        int file = scriptFile();
        assertTrue(file >= 0, "the script is in the index");
        assertEquals("f" + file + ":L" + hotLine, most.get("id").asText(), most.toString());
        assertTrue(most.get("code").asText().endsWith("# HOT"), "the source is shown: " + most);
    }

    @Test
    void theFileIndexIsOrderedBySamples() throws Exception {
        page.navigate(BrowserTestSupport.url(heatmap, null));
        JsonNode own = page.eval("Array.from(document.querySelectorAll('#files tbody tr')).map("
                + "function(tr){return parseInt(tr.children[1].textContent);})");
        assertTrue(own.size() >= 1, own.toString());
        for (int i = 1; i < own.size(); i++) {
            assertTrue(own.get(i - 1).asInt() >= own.get(i).asInt(), "by own samples: " + own);
        }
    }

    @Test
    void aLinkToALineLandsOnIt() throws Exception {
        page.navigate(BrowserTestSupport.url(heatmap, null));
        int file = scriptFile();
        // the page's own function entry, clicked with the mouse
        JsonNode box = page.eval("(function(){var a=Array.from(document.querySelectorAll('#functions a')).find("
                + "function(a){return a.textContent.indexOf('work (')===0;});a.scrollIntoView();"
                + "var b=a.getBoundingClientRect();return {x:b.x+b.width/2,y:b.y+b.height/2,href:a.getAttribute('href')};})()");
        page.click(box.get("x").asDouble(), box.get("y").asDouble());
        page.waitFor("location.hash===" + js(box.get("href").asText()), 10);
        assertTrue(box.get("href").asText().startsWith("#f" + file + ":L"), box.toString());
        assertTrue(page.eval("(function(){var t=document.querySelector(':target');var b=t.getBoundingClientRect();"
                + "return t.tagName==='TR'&&b.top>=0&&b.bottom<=innerHeight;})()").asBoolean(), "the line is in view");
        // a link from elsewhere (a flame graph frame) to the hot line, opened afresh
        page.navigate("about:blank");
        page.navigate(BrowserTestSupport.url(heatmap, "#f" + file + ":L" + hotLine));
        JsonNode target = page.eval("(function(){var t=document.querySelector(':target');var b=t.getBoundingClientRect();"
                + "return {id:t.id,inView:b.top>=0&&b.bottom<=innerHeight};})()");
        assertEquals("f" + file + ":L" + hotLine, target.get("id").asText());
        assertTrue(target.get("inView").asBoolean(), target.toString());
    }

    /** The flame graph frame whose label starts with {@code labelPrefix}. */
    int frame(String labelPrefix) throws Exception {
        int i = (int) page.evalNumber("pyspy.find(" + js(labelPrefix) + ")");
        assertTrue(i >= 0, "no frame " + labelPrefix);
        return i;
    }

    /** Moves the mouse over frame {@code i}; returns where its middle is. */
    double[] hover(int i) throws Exception {
        JsonNode b = page.eval("pyspy.box(" + i + ")");
        double[] at = {b.get("x").asDouble() + b.get("w").asDouble() / 2, b.get("y").asDouble() + b.get("h").asDouble() / 2};
        page.mouseMove(at[0], at[1]);
        return at;
    }

    /** Clicks the frame labelled {@code labelPrefix} on a freshly opened page and waits until the page shows line {@code expected}. */
    JsonNode clickLandsOn(String labelPrefix, String expected) throws Exception {
        page.navigate("about:blank");
        page.navigate(BrowserTestSupport.url(heatmap, null));
        int i = frame(labelPrefix);
        double[] at = hover(i);
        page.waitFor("document.getElementById('details').textContent.indexOf('click for its source')>0", 10);
        page.click(at[0], at[1]);
        page.waitFor("location.hash===" + js("#" + expected), 10);
        return page.eval("(function(){var t=document.querySelector(':target');var b=t.getBoundingClientRect();"
                + "return {id:t.id,inView:b.top>=0&&b.bottom<=innerHeight,code:t.querySelector('td.code').textContent,"
                + "mark:getComputedStyle(t.querySelector('td.n')).backgroundColor,"
                + "plain:getComputedStyle((t.nextElementSibling||t.previousElementSibling).querySelector('td.n')).backgroundColor};})()");
    }

    @Test
    void clickingTheHotFrameLandsOnItsLine() throws Exception {
        page.navigate(BrowserTestSupport.url(heatmap, null));
        int file = scriptFile();
        JsonNode hot = clickLandsOn("work (hot_line_target.py:" + hotLine + ")", "f" + file + ":L" + hotLine);
        assertEquals("f" + file + ":L" + hotLine, hot.get("id").asText(), hot.toString());
        assertTrue(hot.get("inView").asBoolean(), "the line is in view: " + hot);
        assertTrue(hot.get("code").asText().endsWith("# HOT"), hot.toString());
        assertEquals("rgb(0, 102, 204)", hot.get("mark").asText(), "the line is highlighted: " + hot);
        assertTrue(!hot.get("plain").asText().equals(hot.get("mark").asText()), "only that line: " + hot);
    }

    @Test
    void clickingACallerLandsOnTheLineOfItsCall() throws Exception {
        page.navigate(BrowserTestSupport.url(heatmap, null));
        int file = scriptFile();
        // main's widest frame, the caller of the hot function: its line is the one that calls work()
        int callLine = (int) page.evalNumber("(function(){var line=-1,w=0;for(var i=0;i<pyspy.count;i++){"
                + "var m=pyspy.info(i).match(/^main \\(hot_line_target\\.py:(\\d+)\\)/);var b=pyspy.box(i);"
                + "if(m&&b&&b.w>w){w=b.w;line=parseInt(m[1]);}}return line;})()");
        assertTrue(callLine > 0, "main is in the graph");
        JsonNode call = clickLandsOn("main (hot_line_target.py:" + callLine + ")", "f" + file + ":L" + callLine);
        assertTrue(call.get("inView").asBoolean(), call.toString());
        assertTrue(call.get("code").asText().contains("work()"), "the line that calls work: " + call);
        assertEquals("rgb(0, 102, 204)", call.get("mark").asText(), call.toString());
        // the outermost frame, the module, links to its line too
        int moduleLine = (int) page.evalNumber("(function(){for(var i=0;i<pyspy.count;i++){"
                + "var m=pyspy.info(i).match(/^<module> \\(hot_line_target\\.py:(\\d+)\\)/);"
                + "if(m)return parseInt(m[1]);}return -1;})()");
        assertTrue(moduleLine > 0, "<module> is in the graph");
        JsonNode module = clickLandsOn("<module> (hot_line_target.py:" + moduleLine + ")", "f" + file + ":L" + moduleLine);
        assertTrue(module.get("code").asText().contains("main()"), module.toString());
    }

    @Test
    void aFrameWithoutSourceDoesNotNavigate() throws Exception {
        page.navigate(BrowserTestSupport.url(partlyMissing, null));
        int gone = frame("gone (");
        double[] at = hover(gone);
        page.waitFor("document.getElementById('details').textContent.indexOf('no source in this page')>0", 10);
        assertEquals("zoom-in", page.evalString("document.getElementById('canvas').style.cursor"), "not a link");
        page.click(at[0], at[1]);
        page.waitFor("pyspy.state().zoomed===" + gone, 10);
        assertEquals("", page.evalString("location.hash"), "the click zoomed and went nowhere");
        assertEquals(0.0, page.evalNumber("scrollY"), "the page did not move");
        // the frame above it has its source here: its click goes to its line (the page does link)
        int hot = frame("hot (");
        double[] hotAt = hover(hot);
        page.click(hotAt[0], hotAt[1]);
        page.waitFor("location.hash==='#f0:L2'", 10);
    }
}
