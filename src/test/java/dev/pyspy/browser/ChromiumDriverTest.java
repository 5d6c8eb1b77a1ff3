package dev.pyspy.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The browser tests' own harness: it must see page errors, or "no page errors" would prove nothing. */
class ChromiumDriverTest {
    static Chromium chromium;

    @BeforeAll
    static void start() throws Exception {
        chromium = BrowserTestSupport.launchIfInstalled();
        if (chromium == null) {
            return;
        }
    }

    @AfterAll
    static void stop() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @Test
    void collectsUncaughtExceptionsAndConsoleErrors(@TempDir Path dir) throws Exception {
        BrowserTestSupport.assumeChromium(chromium);
        Path file = dir.resolve("broken.html");
        Files.writeString(file, "<!DOCTYPE html><html><body><p id=p>hi</p><script>"
                + "console.error('bad thing'); document.getElementById('p').textContent = 'ran';"
                + "setTimeout(function(){ undefinedFunction(); }, 0);</script></body></html>");
        Page page = chromium.newPage();
        page.navigate(file.toUri().toString());
        page.waitFor("true", 1);
        // the error thrown by the timer arrives by itself, after the page loaded
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (page.errors().stream().noneMatch(e -> e.contains("undefinedFunction")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals("ran", page.evalString("document.getElementById('p').textContent"));
        assertTrue(page.errors().stream().anyMatch(e -> e.contains("bad thing")), page.errors().toString());
        assertTrue(page.errors().stream().anyMatch(e -> e.contains("undefinedFunction")), page.errors().toString());
        assertThrows(AssertionError.class, () -> page.eval("nosuchvariable.x"));
    }

    @Test
    void realInputEventsReachThePage(@TempDir Path dir) throws Exception {
        BrowserTestSupport.assumeChromium(chromium);
        Path file = dir.resolve("input.html");
        Files.writeString(file, "<!DOCTYPE html><html><body style='margin:0'><div id=d style='width:100px;height:100px'></div>"
                + "<script>var log=[];var d=document.getElementById('d');"
                + "d.addEventListener('click',function(e){log.push('click '+e.clientX+','+e.clientY);});"
                + "window.addEventListener('keydown',function(e){log.push('key '+e.key+(e.ctrlKey?' ctrl':''));});"
                + "</script></body></html>");
        Page page = chromium.newPage();
        page.navigate(file.toUri().toString());
        page.click(40, 50);
        page.key("f", "KeyF", 70, Page.CTRL);
        assertEquals("[\"click 40,50\",\"key f ctrl\"]", page.eval("log").toString());
        assertEquals("", String.join("", page.errors()));
    }
}
