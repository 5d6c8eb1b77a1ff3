package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChromeTraceWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode write(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ChromeTraceWriter().write(p, out);
        return JSON.readTree(out.toByteArray());
    }

    @Test
    void chromeTraceIsAJsonArrayWithBalancedBeginAndEndPerThread() throws IOException {
        JsonNode events = write(TestProfiles.heavy());
        assertTrue(events.isArray());
        ChromeTraces.replay(events);
    }

    @Test
    void chromeTraceTimesAreMicrosecondsAndMatchSampleCounts() throws IOException {
        Map<String, Double> d = ChromeTraces.replay(write(TestProfiles.heavy()));
        // heavy_a runs on MainThread in 60 samples of 10 ms, on the worker in 30.
        assertEquals(600_000.0, d.get("1001|heavy_a (heavy.py:5)"), 1e-6);
        assertEquals(300_000.0, d.get("1002|heavy_a (heavy.py:5)"), 1e-6);
        assertEquals(700_000.0, d.get("1002|heavy_b (heavy.py:12)"), 1e-6);
        // The thread root stays open for the whole second.
        assertEquals(1_000_000.0, d.get("1001|thread (1001): MainThread"), 1e-6);
    }

    @Test
    void chromeTraceNamesProcessesAndThreadsWithMetadataEvents() throws IOException {
        JsonNode events = write(TestProfiles.heavy());
        Set<String> threadNames = new HashSet<>();
        int processNames = 0;
        for (JsonNode e : events) {
            if (e.get("ph").asText().equals("M")) {
                if (e.get("name").asText().equals("thread_name")) {
                    threadNames.add(e.get("tid").asLong() + "=" + e.get("args").get("name").asText());
                } else if (e.get("name").asText().equals("process_name")) {
                    processNames++;
                    assertEquals(TestProfiles.PID, e.get("pid").asInt());
                }
            }
        }
        assertEquals(Set.of("1001=MainThread", "1002=worker"), threadNames);
        assertEquals(1, processNames);
    }

    @Test
    void chromeTraceStartsWithMainThreadAndSortsItFirst() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        int worker = p.threadIndex(new ProfileThread(7, 71, "worker-B"));
        int main = p.threadIndex(new ProfileThread(7, 7, "MainThread"));
        int stack = TestProfiles.stack(p, TestProfiles.fn("f"));
        for (int i = 0; i < 3; i++) {
            p.addSample(i, worker, stack);
        }
        p.addSample(0, main, stack);
        JsonNode events = write(p);
        Long firstEventTid = null;
        Map<Long, Integer> sortIndex = new HashMap<>();
        for (JsonNode e : events) {
            if (e.get("name").asText().equals("thread_sort_index")) {
                sortIndex.put(e.get("tid").asLong(), e.get("args").get("sort_index").asInt());
            } else if (!e.get("ph").asText().equals("M") && firstEventTid == null) {
                firstEventTid = e.get("tid").asLong();
            }
        }
        assertEquals(Map.of(7L, 0, 71L, 1), sortIndex);
        assertEquals(7L, firstEventTid, "speedscope opens on the first thread it meets");
    }

    @Test
    void chromeTraceClosesStacksWhenAThreadWasNotSeenForAWhile() throws IOException {
        Profile p = new Profile("gap", 0.01, 0);
        int t = p.threadIndex(TestProfiles.MAIN);
        int s = TestProfiles.stack(p, TestProfiles.fn("a"), TestProfiles.fn("b"));
        p.addSample(0, t, s);
        p.addSample(10_000_000, t, s);
        p.addSample(500_000_000, t, s); // idle in between
        JsonNode events = write(p);
        Map<String, Double> d = ChromeTraces.replay(events);
        assertEquals(30_000.0, d.get("1001|b (app.py:1)"), 1e-6);
        long begins = 0;
        for (JsonNode e : events) {
            if (e.get("ph").asText().equals("B")) {
                begins++;
            }
        }
        assertEquals(4, begins, "a and b begin twice");
    }

    @Test
    void chromeTraceOnlyReopensFramesBelowTheCommonPrefix() throws IOException {
        Profile p = new Profile("diff", 0.01, 0);
        int t = p.threadIndex(TestProfiles.MAIN);
        FrameInfo a = TestProfiles.fn("a");
        FrameInfo b = TestProfiles.fn("b");
        FrameInfo c = TestProfiles.fn("c");
        p.addSample(0, t, TestProfiles.stack(p, a, b));
        p.addSample(10_000_000, t, TestProfiles.stack(p, a, c));
        JsonNode events = write(p);
        List<String> seq = new java.util.ArrayList<>();
        for (JsonNode e : events) {
            if (!e.get("ph").asText().equals("M")) {
                seq.add(e.get("ph").asText() + " " + e.get("name").asText().split(" ")[0] + " "
                        + (long) e.get("ts").asDouble());
            }
        }
        assertEquals(List.of("B a 0", "B b 0", "E b 10000", "B c 10000", "E c 20000", "E a 20000"), seq);
    }

    @Test
    void chromeTraceOfAnEmptyProfileIsAnEmptyArray() throws IOException {
        JsonNode events = write(new Profile("empty", 0.01, 0));
        assertTrue(events.isArray());
        assertEquals(0, events.size());
    }
}
