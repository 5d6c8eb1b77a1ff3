package dev.pyspy.browser;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyspy.output.CollapsedStackReader;
import dev.pyspy.output.Profile;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Shared pieces of the browser tests: one Chromium per test class, fixtures from the test resources. */
final class BrowserTestSupport {
    private BrowserTestSupport() {
    }

    /**
     * Starts Chromium for a test class ({@code @BeforeAll}), or returns null when it is not installed;
     * each test then calls {@link #assumeChromium} so that it is reported as skipped, with the reason.
     */
    static Chromium launchIfInstalled() throws IOException, InterruptedException {
        if (Chromium.executable() == null) {
            System.err.println("WARNING: " + Chromium.MISSING);
            return null;
        }
        return Chromium.launch();
    }

    /** Skips the calling test, saying why, when Chromium is not installed. */
    static void assumeChromium(Chromium chromium) {
        assumeTrue(chromium != null, Chromium.MISSING);
    }

    /** A collapsed-stack fixture from {@code src/test/resources/output}. */
    static Profile fixture(String name) throws IOException {
        try (InputStream in = BrowserTestSupport.class.getResourceAsStream("/output/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource /output/" + name);
            }
            return new CollapsedStackReader(name, 0.01).read(new InputStreamReader(in, StandardCharsets.UTF_8), name);
        }
    }

    /** A search that backtracks for ever in a RegExp on any label of a few dozen characters. */
    static final String HOSTILE = "(.+)+$X";

    /** A search using groups, repetition, classes, escapes and ignoring case: both heavy_ functions match. */
    static final String REGEX = "(?i)^HEAVY_(a|b)+ \\(heavy\\.py:\\d{1,2}\\)$";

    /** A value for a URL's query, encoded. */
    static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static String url(Path file, String query) {
        return file.toUri() + (query == null ? "" : query);
    }

    /** A string as a JavaScript string literal. */
    static String js(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
