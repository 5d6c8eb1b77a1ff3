package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

/** The structure every Gecko (Firefox Profiler) profile the writer produces must have. */
final class GeckoChecks {
    private GeckoChecks() {
    }

    /**
     * The structure the processed-profile loader needs: versions it can upgrade from, categories with
     * subcategories, per thread column tables whose columns all have {@code length} entries, indices in
     * range (prefixes pointing to earlier stack nodes, strings into {@code shared.stringArray}), sample
     * times that do not decrease, and a stack node's category equal to its frame's.
     */
    static void assertValidGecko(JsonNode root) {
        JsonNode meta = root.get("meta");
        assertEquals(GeckoWriter.GECKO_VERSION, meta.get("version").asInt());
        assertEquals(GeckoWriter.PROCESSED_VERSION, meta.get("preprocessedProfileVersion").asInt());
        assertTrue(meta.get("interval").asDouble() > 0);
        assertTrue(meta.get("startTime").isNumber());
        JsonNode categories = meta.get("categories");
        assertTrue(categories.size() > 0);
        for (JsonNode c : categories) {
            assertTrue(c.get("name").isTextual() && c.get("color").isTextual() && c.get("subcategories").size() > 0);
        }
        int strings = root.get("shared").get("stringArray").size();
        assertTrue(root.get("libs").isArray() && root.get("pages").isArray());
        for (JsonNode t : root.get("threads")) {
            assertTrue(t.get("name").isTextual() && t.get("pid").isTextual() && t.get("tid").isNumber());
            assertTrue(t.get("isMainThread").isBoolean() && t.get("processType").isTextual());
            JsonNode samples = table(t, "samples", "stack", "time");
            JsonNode stacks = table(t, "stackTable", "frame", "category", "subcategory", "prefix");
            JsonNode frames = table(t, "frameTable", "address", "category", "subcategory", "func", "innerWindowID",
                    "implementation", "line", "column", "inlineDepth", "nativeSymbol");
            JsonNode funcs = table(t, "funcTable", "name", "isJS", "relevantForJS", "resource", "fileName",
                    "lineNumber", "columnNumber");
            JsonNode resources = table(t, "resourceTable", "lib", "name", "host", "type");
            table(t, "nativeSymbols", "libIndex", "address", "name", "functionSize");
            table(t, "markers", "data", "name", "startTime", "endTime", "phase", "category");
            double last = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < samples.get("length").asInt(); i++) {
                indexOrNull(samples.get("stack").get(i), stacks.get("length").asInt());
                double time = samples.get("time").get(i).asDouble();
                assertTrue(time >= last, "sample times do not decrease");
                last = time;
            }
            for (int i = 0; i < stacks.get("length").asInt(); i++) {
                int frame = index(stacks.get("frame").get(i), frames.get("length").asInt());
                JsonNode prefix = stacks.get("prefix").get(i);
                assertTrue(prefix.isNull() || prefix.asInt() < i, "a prefix is an earlier stack node");
                assertEquals(frames.get("category").get(frame).asInt(), stacks.get("category").get(i).asInt());
                index(stacks.get("category").get(i), categories.size());
            }
            for (int i = 0; i < frames.get("length").asInt(); i++) {
                index(frames.get("func").get(i), funcs.get("length").asInt());
                index(frames.get("category").get(i), categories.size());
            }
            for (int i = 0; i < funcs.get("length").asInt(); i++) {
                index(funcs.get("name").get(i), strings);
                indexOrNull(funcs.get("fileName").get(i), strings);
                indexOrNull(funcs.get("resource").get(i), resources.get("length").asInt());
                assertTrue(funcs.get("isJS").get(i).isBoolean());
            }
            for (int i = 0; i < resources.get("length").asInt(); i++) {
                index(resources.get("name").get(i), strings);
            }
        }
    }

    private static JsonNode table(JsonNode thread, String name, String... columns) {
        JsonNode table = thread.get(name);
        assertTrue(table != null && table.get("length").isInt(), name + " has a length");
        for (String c : columns) {
            assertTrue(table.get(c).isArray(), name + "." + c);
            assertEquals(table.get("length").asInt(), table.get(c).size(), name + "." + c + " has length entries");
        }
        return table;
    }

    private static int index(JsonNode value, int size) {
        assertTrue(value.isInt() && value.asInt() >= 0 && value.asInt() < size, value + " in [0, " + size + ")");
        return value.asInt();
    }

    private static void indexOrNull(JsonNode value, int size) {
        if (!value.isNull()) {
            index(value, size);
        }
    }
}
