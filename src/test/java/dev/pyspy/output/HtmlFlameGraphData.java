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

    /** Reads back the page's base-64 variable-length numbers (what {@code HtmlFlameGraphWriter.vlq} wrote). */
    static long[] unvlq(String s) {
        java.util.List<Long> out = new java.util.ArrayList<>();
        long v = 0;
        int shift = 0;
        for (int i = 0; i < s.length(); i++) {
            int d = HtmlFlameGraphWriter.B64.indexOf(s.charAt(i));
            v |= (long) (d & 31) << shift;
            shift += 5;
            if ((d & 32) == 0) {
                out.add(v);
                v = 0;
                shift = 0;
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
