package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Reads the data block of an HTML flame graph the writer produced. */
final class HtmlFlameGraphData {
    private HtmlFlameGraphData() {
    }

    static final String OPEN = "<script id=\"pyspy-data\" type=\"application/json\">";

    /** The JSON block the page's script reads. */
    static JsonNode data(byte[] html) throws IOException {
        String text = new String(html, StandardCharsets.UTF_8);
        int start = text.indexOf(OPEN);
        assertTrue(start > 0, "data block present");
        int end = text.indexOf("</script>", start);
        return new ObjectMapper().readTree(text.substring(start + OPEN.length(), end));
    }
}
