package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The structure every speedscope file the writer produces must have. */
final class SpeedscopeChecks {
    private SpeedscopeChecks() {
    }

    /** The structure speedscope's file-format-schema.json requires of a file of sampled profiles. */
    static void assertValidSpeedscope(JsonNode root) {
        assertTrue(root.isObject());
        assertEquals(SpeedscopeWriter.SCHEMA, root.path("$schema").asText());
        JsonNode frames = root.path("shared").path("frames");
        assertTrue(frames.isArray(), "shared.frames must be an array");
        for (JsonNode f : frames) {
            assertTrue(f.path("name").isTextual(), "frame.name must be a string: " + f);
            // null where unknown, as py-spy writes them (speedscope reads null as absent)
            if (f.has("file")) {
                assertTrue(f.get("file").isTextual() || f.get("file").isNull());
            }
            if (f.has("line")) {
                assertTrue(f.get("line").isNumber() || f.get("line").isNull());
            }
        }
        JsonNode profiles = root.path("profiles");
        assertTrue(profiles.isArray(), "profiles must be an array");
        for (JsonNode p : profiles) {
            assertEquals("sampled", p.path("type").asText());
            assertTrue(p.path("name").isTextual());
            assertTrue(List.of("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")
                    .contains(p.path("unit").asText()));
            assertTrue(p.path("startValue").isNumber());
            assertTrue(p.path("endValue").isNumber());
            JsonNode samples = p.path("samples");
            JsonNode weights = p.path("weights");
            assertTrue(samples.isArray() && weights.isArray());
            assertEquals(samples.size(), weights.size(), "one weight per sample");
            double sum = 0;
            for (JsonNode w : weights) {
                assertTrue(w.isNumber());
                sum += w.asDouble();
            }
            assertEquals(p.path("endValue").asDouble() - p.path("startValue").asDouble(), sum, 1e-9);
            for (JsonNode s : samples) {
                assertTrue(s.isArray());
                for (JsonNode idx : s) {
                    assertTrue(idx.isInt());
                    assertTrue(idx.asInt() >= 0 && idx.asInt() < frames.size(), "frame index in range");
                }
            }
        }
        if (root.has("activeProfileIndex")) {
            assertTrue(root.get("activeProfileIndex").asInt() < Math.max(1, profiles.size()));
        }
        if (root.has("name")) {
            assertTrue(root.get("name").isTextual());
        }
        if (root.has("exporter")) {
            assertTrue(root.get("exporter").isTextual());
        }
    }
}
