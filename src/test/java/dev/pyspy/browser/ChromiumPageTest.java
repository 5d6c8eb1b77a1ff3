package dev.pyspy.browser;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A test class that looks at pages in one headless Chromium: subclasses start it in their
 * {@code @BeforeAll} ({@code chromium = BrowserTestSupport.launchIfInstalled()}); every test gets a
 * fresh page and fails if the page reported errors. Without Chromium the tests are skipped.
 */
abstract class ChromiumPageTest {
    static Chromium chromium;
    Page page;

    @AfterAll
    static void stopChromium() {
        if (chromium != null) {
            chromium.close();
            chromium = null;
        }
    }

    @BeforeEach
    void openPage() throws Exception {
        BrowserTestSupport.assumeChromium(chromium);
        page = chromium.newPage();
    }

    @AfterEach
    void noPageErrors() {
        if (page != null) {
            assertEquals(List.of(), page.errors(), "the page reported errors");
        }
    }
}
