package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatmapWriterTest {

    static String heatmap(Profile profile, SourceFiles sources) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new HeatmapWriter(sources, null).write(profile, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void linesAreShadedByOwnSamplesAndFilesOrderedBySamples(@TempDir Path dir) throws IOException {
        Path app = dir.resolve("app.py");
        Files.writeString(app, "def main():\n    work()\n\ndef work():\n    x = 1 < 2 & 3\n    return x\n");
        Path lib = dir.resolve("lib.py");
        Files.writeString(lib, "def helper():\n    pass\n");
        FrameInfo main = new FrameInfo("main", "app.py", 2, 1, app.toString());
        FrameInfo work = new FrameInfo("work", "app.py", 5, 4, app.toString());
        FrameInfo workReturn = new FrameInfo("work", "app.py", 6, 4, app.toString());
        FrameInfo helper = new FrameInfo("helper", "lib.py", 2, 1, lib.toString());
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 8, main, work);
        TestProfiles.add(p, 2, main, workReturn);
        TestProfiles.add(p, 3, helper);
        assertEquals(List.of(app.toString(), lib.toString()), HeatmapWriter.fileOrder(p));
        String html = heatmap(p, SourceFiles.LOCAL);
        assertTrue(html.contains("<tr id=\"f0:L5\" class=\"hit\" data-own=\"8\" data-total=\"8\" data-heat=\"1.0000\""),
                html);
        assertTrue(html.contains("<tr id=\"f0:L6\" class=\"hit\" data-own=\"2\" data-total=\"2\" data-heat=\"0.2500\""),
                html);
        assertTrue(html.contains("<tr id=\"f0:L2\" class=\"hit\" data-own=\"0\" data-total=\"10\" data-heat=\"0.0000\""),
                html);
        assertTrue(html.contains("<td class=\"code\">    x = 1 &lt; 2 &amp; 3</td>"), "source escaped: " + html);
        assertTrue(html.contains("<tr id=\"f0:L3\"><td"), "unsampled lines are listed too");
        assertTrue(html.indexOf("href=\"#f0\"") < html.indexOf("href=\"#f1\""), "index in order");
        assertTrue(html.contains("<a href=\"#f0:L4\">work (app.py:4)</a>"), "functions link to their first line");
        assertFalse(html.contains(" src=") || html.contains("href=\"http") || html.contains("url("),
                "nothing is fetched: works offline");
        Map<String, String> links = frameLinks(html);
        assertEquals("f0:L5", links.get("work (app.py:5)"), "a flame graph frame links to its line: " + links);
        assertEquals("f0:L2", links.get("main (app.py:2)"), links.toString());
        assertEquals("f1:L2", links.get("helper (lib.py:2)"), links.toString());
    }

    /** The flame graph's labels and the line each links to in the page (null: none), from the page's data. */
    static Map<String, String> frameLinks(String html) throws IOException {
        String open = "<script id=\"pyspy-data\" type=\"application/json\">";
        int start = html.indexOf(open) + open.length();
        JsonNode data = new ObjectMapper().readTree(html.substring(start, html.indexOf("</script>", start)));
        Map<String, String> links = new HashMap<>();
        for (int i = 0; i < data.get("labels").size(); i++) {
            JsonNode src = data.get("src").get(i);
            links.put(data.get("labels").get(i).asText(), src.isNull() ? null : src.asText());
        }
        return links;
    }

    @Test
    void aFileThatCannotBeReadIsListedWithItsSampledLines() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 2, new FrameInfo("gone", "gone.py", 7, 3, "/nonexistent/gone.py"));
        String html = heatmap(p, SourceFiles.LOCAL);
        assertTrue(html.contains("Source not available"), html);
        assertTrue(html.contains("<tr id=\"f0:L7\" class=\"hit\" data-own=\"2\""), html);
        assertTrue(html.contains("<a href=\"#f0\">gone (gone.py:3)</a>"), "without source a function links to its file");
        Map<String, String> links = frameLinks(html);
        assertTrue(links.containsKey("gone (gone.py:7)"), links.toString());
        assertNull(links.get("gone (gone.py:7)"), "a frame whose source is not in the page links nowhere");
    }

    @Test
    void onlyPythonSourcesAreRead(@TempDir Path dir) throws IOException {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "do not copy me\n");
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 1, new FrameInfo("f", "secret.txt", 1, 1, secret.toString()));
        String html = heatmap(p, SourceFiles.LOCAL);
        assertFalse(html.contains("do not copy me"));
        assertTrue(html.contains("Source not available"));
    }

    @Test
    void absolutePathsAreReadUnderTheTargetsRootFirst(@TempDir Path dir) throws IOException {
        Path inside = dir.resolve("root/srv/app.py");
        Files.createDirectories(inside.getParent());
        Files.writeString(inside, "print('inside the container')\n");
        SourceFiles sources = new SourceFiles(List.of(dir.resolve("root"), Path.of("/")), List.of(dir));
        assertEquals(List.of("print('inside the container')"), sources.lines("/srv/app.py").orElseThrow());
        Files.writeString(dir.resolve("rel.py"), "x = 1\n");
        assertEquals(List.of("x = 1"), sources.lines("rel.py").orElseThrow(), "relative: in the working directory");
    }
}
