package dev.pyspy.output;

import dev.pyspy.testing.Executables;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The flame graphs' web resources: the scripts parse, the search matcher agrees with RegExp, the templates splice. */
class WebAssetsTest {
    /** The ESLint release the scripts are checked with. */
    static final String ESLINT = "eslint@9.39.1";

    static Path webDir() throws URISyntaxException {
        return Path.of(WebTemplate.class.getResource("/dev/pyspy/output/web/").toURI());
    }

    static List<Path> scripts() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(webDir())) {
            return files.filter(p -> p.toString().endsWith(".js")).sorted().toList();
        }
    }

    /** Runs node with the arguments; returns its exit code and output. */
    static Map.Entry<Integer, String> node(String... args) throws IOException, InterruptedException {
        String node = Executables.findOnPath("node");
        assumeTrue(node != null, "node not installed: the browser tests still run the scripts for real");
        List<String> command = new ArrayList<>(List.of(node));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "node finished");
        return Map.entry(p.exitValue(), out);
    }

    @Test
    void everyScriptParses() throws Exception {
        List<Path> scripts = scripts();
        assertEquals(List.of("flamegraph-common.js", "flamegraph-html.js", "flamegraph-svg.js"),
                scripts.stream().map(p -> p.getFileName().toString()).toList());
        for (Path js : scripts) {
            Map.Entry<Integer, String> r = node("--check", js.toString());
            assertEquals(0, r.getKey(), js + ": " + r.getValue());
        }
    }

    /**
     * ESLint (from npm, fetched once into npm's cache, offline after that) finds nothing; skipped only
     * where npm is not installed.
     */
    @Test
    void scriptsPassEslint() throws Exception {
        String npm = Executables.findOnPath("npm");
        assumeTrue(npm != null, "npm not installed: ESLint cannot run (the scripts are still checked by node --check)");
        Path config = Path.of(WebAssetsTest.class.getResource("/output/web/eslint.config.mjs").toURI());
        List<String> command = new ArrayList<>(List.of(npm, "exec", "--yes", "--prefer-offline", "--package=" + ESLINT,
                "--", "eslint", "--max-warnings", "0", "--config", config.toString()));
        scripts().forEach(p -> command.add(p.getFileName().toString()));
        Process p = new ProcessBuilder(command).directory(webDir().toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "eslint finished");
        assertEquals(0, p.exitValue(), out);
    }

    /** The matcher against RegExp on expressions RegExp runs quickly, its bounds on ones it does not. */
    @Test
    void searchAgreesWithRegExpInBoundedTime() throws Exception {
        Path check = Path.of(WebAssetsTest.class.getResource("/output/web/search-agrees-with-regexp.js").toURI());
        Map.Entry<Integer, String> r = node(check.toString(), webDir().resolve("flamegraph-common.js").toString());
        assertEquals(0, r.getKey(), r.getValue());
    }

    @Test
    void templatesSpliceTheirResourcesAndFillTheirSlots() throws Exception {
        WebTemplate page = WebTemplate.load("flamegraph.html", "</script");
        StringWriter w = new StringWriter();
        page.write(w, Map.of("title", WebTemplate.text("T"), "subtitle", WebTemplate.text(""), "legend", WebTemplate.text("L"),
                "table-head", WebTemplate.text("<th>H</th>"), "data", WebTemplate.text("{}")));
        String html = w.toString();
        assertFalse(html.contains("{{"), "no marker left");
        assertTrue(html.contains(WebTemplate.resource("flamegraph-common.js") + WebTemplate.resource("flamegraph-html.js")),
                "the shared script comes first, in the same script element");
        assertTrue(html.contains("<title>T</title>") && html.contains("<h1 id=\"title\">T</h1>"));

        assertThrows(IllegalArgumentException.class, () -> page.write(new StringWriter(), Map.of()));
        assertThrows(IllegalStateException.class, () -> WebTemplate.load("flamegraph.svg", "use strict"),
                "an included resource holding the forbidden text is refused");
    }
}
