package dev.pyspy.browser;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyspy.output.CollapsedStackReader;
import dev.pyspy.output.Profile;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Shared pieces of the browser tests: one Chromium per test class, fixtures from the test resources. */
final class BrowserTestSupport {
    private BrowserTestSupport() {
    }

    /** Starts Chromium, or skips the calling test class with a clear message when it is not installed. */
    static Chromium launchOrSkip() throws IOException, InterruptedException {
        assumeTrue(Chromium.executable() != null, Chromium.MISSING);
        return Chromium.launch();
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
