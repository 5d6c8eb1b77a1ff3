package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Firefox Profiler's processed format. The front end itself is not run here (building it from npm
 * is out of reach on the test machines): {@link #assertValidGecko} checks what its loader relies on,
 * from the format's published types ({@code src/types/profile.js}) and processing code.
 */
class GeckoWriterTest {

    static JsonNode gecko(Profile profile) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new GeckoWriter().write(profile, out);
        return new ObjectMapper().readTree(out.toByteArray());
    }

    /** Function name → samples where it is the leaf, over all threads, as the call tree's self column shows. */
    static Map<String, Integer> selfByFunction(JsonNode root) {
        JsonNode strings = root.get("shared").get("stringArray");
        Map<String, Integer> self = new HashMap<>();
        for (JsonNode t : root.get("threads")) {
            for (JsonNode s : t.get("samples").get("stack")) {
                int frame = t.get("stackTable").get("frame").get(s.asInt()).asInt();
                int func = t.get("frameTable").get("func").get(frame).asInt();
                self.merge(strings.get(t.get("funcTable").get("name").get(func).asInt()).asText(), 1, Integer::sum);
            }
        }
        return self;
    }

    /** Root-first function names of each sample's stack in one thread. */
    static List<List<String>> stacks(JsonNode root, JsonNode thread) {
        JsonNode strings = root.get("shared").get("stringArray");
        List<List<String>> out = new ArrayList<>();
        for (JsonNode s : thread.get("samples").get("stack")) {
            List<String> names = new ArrayList<>();
            for (JsonNode node = s; !node.isNull(); node = thread.get("stackTable").get("prefix").get(node.asInt())) {
                int frame = thread.get("stackTable").get("frame").get(node.asInt()).asInt();
                int func = thread.get("frameTable").get("func").get(frame).asInt();
                names.add(0, strings.get(thread.get("funcTable").get("name").get(func).asInt()).asText());
            }
            out.add(names);
        }
        return out;
    }

    @Test
    void geckoHasTheStructureTheFirefoxProfilerLoads() throws IOException {
        GeckoChecks.assertValidGecko(gecko(TestProfiles.heavy()));
        GeckoChecks.assertValidGecko(gecko(new Profile("empty", 0.01, 0)));
    }

    @Test
    void threadsCarryNamesTidsAndTheirSamplesMainThreadFirst() throws IOException {
        JsonNode root = gecko(TestProfiles.heavy());
        JsonNode threads = root.get("threads");
        assertEquals(2, threads.size());
        assertEquals("MainThread", threads.get(0).get("name").asText());
        assertTrue(threads.get(0).get("isMainThread").asBoolean());
        assertEquals(1001, threads.get(0).get("tid").asLong());
        assertEquals("4242", threads.get(0).get("pid").asText());
        assertEquals("worker", threads.get(1).get("name").asText());
        assertFalse(threads.get(1).get("isMainThread").asBoolean());
        assertEquals(100, threads.get(0).get("samples").get("length").asInt());
        assertEquals(100, threads.get(1).get("samples").get("length").asInt());
        assertEquals(10.0, root.get("meta").get("interval").asDouble(), 1e-9);
        assertEquals(TestProfiles.START_MILLIS, root.get("meta").get("startTime").asLong());
        assertEquals(990.0, threads.get(0).get("samples").get("time").get(99).asDouble(), 1e-6, "milliseconds");
        List<List<String>> main = stacks(root, threads.get(0));
        assertEquals(List.of("thread (1001): MainThread", "<module>", "main", "heavy_a"), main.get(0));
    }

    @Test
    void framesHaveTheirCategoryFromTheFullPathAndFullFileNames() throws IOException {
        FrameInfo threading = new FrameInfo("run", "threading.py", 975, 970, "/usr/lib/python3.11/threading.py");
        FrameInfo mine = new FrameInfo("work", "app.py", 3, 1, "/home/me/app.py");
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 5, threading, mine);
        JsonNode root = gecko(p);
        GeckoChecks.assertValidGecko(root);
        JsonNode t = root.get("threads").get(0);
        JsonNode strings = root.get("shared").get("stringArray");
        List<String> categories = new ArrayList<>();
        root.get("meta").get("categories").forEach(c -> categories.add(c.get("name").asText()));
        JsonNode frames = t.get("frameTable");
        for (int i = 0; i < frames.get("length").asInt(); i++) {
            int func = frames.get("func").get(i).asInt();
            String file = strings.get(t.get("funcTable").get("fileName").get(func).asInt()).asText();
            String category = categories.get(frames.get("category").get(i).asInt());
            if (file.equals("/usr/lib/python3.11/threading.py")) {
                assertEquals("Standard library", category);
            } else {
                assertEquals("/home/me/app.py", file);
                assertEquals("User code", category);
            }
        }
        assertEquals(5, selfByFunction(root).get("work"));
    }

    @Test
    void withoutAMainThreadTheBusiestThreadComesFirst() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        int idle = p.threadIndex(new ProfileThread(1, 11, "worker-A"));
        int busy = p.threadIndex(new ProfileThread(1, 12, "worker-B"));
        int stack = TestProfiles.stack(p, TestProfiles.fn("f"));
        p.addSample(0, idle, stack);
        for (int i = 0; i < 3; i++) {
            p.addSample(i, busy, stack);
        }
        assertEquals("worker-B", gecko(p).get("threads").get(0).get("name").asText());
    }
}
