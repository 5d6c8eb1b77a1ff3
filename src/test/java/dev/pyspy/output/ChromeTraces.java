package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/** Replays the begin/end events of a Chrome trace the writer produced. */
final class ChromeTraces {
    private ChromeTraces() {
    }

    /**
     * Replays B/E events per thread: every E closes the innermost open B of the same name, nothing stays
     * open, timestamps never decrease. Returns the total open time (µs) per (tid, name).
     */
    static Map<String, Double> replay(JsonNode events) {
        Map<Long, Deque<JsonNode>> open = new HashMap<>();
        Map<Long, Double> lastTs = new HashMap<>();
        Map<String, Double> durations = new HashMap<>();
        for (JsonNode e : events) {
            String ph = e.get("ph").asText();
            if (ph.equals("M")) {
                continue;
            }
            assertTrue(ph.equals("B") || ph.equals("E"), "only B/E/M events: " + e);
            assertEquals("python", e.get("cat").asText());
            assertTrue(e.get("pid").isIntegralNumber());
            long tid = e.get("tid").asLong();
            double ts = e.get("ts").asDouble();
            Double last = lastTs.put(tid, ts);
            assertTrue(last == null || ts >= last, "timestamps monotonic within thread " + tid);
            Deque<JsonNode> stack = open.computeIfAbsent(tid, t -> new ArrayDeque<>());
            if (ph.equals("B")) {
                stack.push(e);
            } else {
                assertTrue(!stack.isEmpty(), "E without B: " + e);
                JsonNode b = stack.pop();
                assertEquals(b.get("name").asText(), e.get("name").asText(), "E closes the innermost B");
                durations.merge(tid + "|" + b.get("name").asText(), ts - b.get("ts").asDouble(), Double::sum);
            }
        }
        open.forEach((tid, stack) -> assertTrue(stack.isEmpty(), "thread " + tid + " left open: " + stack));
        return durations;
    }
}
