package dev.pyspy.browser;

import static dev.pyspy.browser.BrowserTestSupport.js;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code --format heatmap} of a real recording, looked at in headless Chromium. */
class HeatmapBrowserTest extends ChromiumPageTest {
    static Path heatmap;
    static int hotLine;
    static String script;

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
}
