package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SpeedscopeWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode write(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SpeedscopeWriter("pyspy test").write(p, out);
        return JSON.readTree(out.toByteArray());
    }

    @Test
    void speedscopeFileHasTheSchemaRequiredStructure() throws IOException {
        JsonNode root = write(TestProfiles.heavy());
        SpeedscopeChecks.assertValidSpeedscope(root);
        assertEquals(TestProfiles.TITLE, root.get("name").asText());
        assertEquals("pyspy test", root.get("exporter").asText());
        assertEquals(0, root.get("activeProfileIndex").asInt());
    }

    @Test
    void speedscopeFramesCarryTheFullPath() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 1, new FrameInfo("run", "threading.py", 975, 970, "/usr/lib/python3.11/threading.py"));
        JsonNode frame = write(p).get("shared").get("frames").get(0);
        assertEquals("run", frame.get("name").asText());
        assertEquals("/usr/lib/python3.11/threading.py", frame.get("file").asText());
    }

    @Test
    void speedscopeOpensOnMainThreadElseTheBusiestThread() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        int a = p.threadIndex(new ProfileThread(1, 11, "worker-A"));
        int b = p.threadIndex(new ProfileThread(1, 12, "worker-B"));
        int stack = TestProfiles.stack(p, TestProfiles.fn("f"));
        p.addSample(0, a, stack);
        p.addSample(0, b, stack);
        p.addSample(1, b, stack);
        assertEquals(1, write(p).get("activeProfileIndex").asInt(), "worker-B has more samples");
        int main = p.threadIndex(new ProfileThread(1, 1, "MainThread"));
        p.addSample(2, main, stack);
        JsonNode root = write(p);
        assertEquals("Thread 1 \"MainThread\"",
                root.get("profiles").get(root.get("activeProfileIndex").asInt()).get("name").asText());
    }

    @Test
    void speedscopeHasOneSampledProfilePerThreadNamedByThread() throws IOException {
        JsonNode profiles = write(TestProfiles.heavy()).get("profiles");
        assertEquals(2, profiles.size());
        // py-spy's names, so scripts that pick a profile by name keep working
        assertEquals("Thread 1001 \"MainThread\"", profiles.get(0).get("name").asText());
        assertEquals("Thread 1002 \"worker\"", profiles.get(1).get("name").asText());
        for (JsonNode p : profiles) {
            assertEquals("seconds", p.get("unit").asText());
            assertEquals(TestProfiles.SAMPLES_PER_THREAD, p.get("samples").size());
            assertEquals(0.0, p.get("startValue").asDouble());
            assertEquals(TestProfiles.SAMPLES_PER_THREAD * TestProfiles.INTERVAL, p.get("endValue").asDouble(), 1e-9);
            for (JsonNode w : p.get("weights")) {
                assertEquals(TestProfiles.INTERVAL, w.asDouble());
            }
        }
    }

    @Test
    void speedscopeFramesCarryNameFileAndLine() throws IOException {
        JsonNode frames = write(TestProfiles.heavy()).get("shared").get("frames");
        boolean sawHeavyA = false;
        for (JsonNode f : frames) {
            if (f.get("name").asText().equals("heavy_a")) {
                sawHeavyA = true;
                assertEquals("heavy.py", f.get("file").asText());
                assertEquals(5, f.get("line").asInt());
            }
            if (f.get("name").asText().startsWith("thread (")) {
                assertFalse(f.has("file"), "synthetic frames have no file");
            }
        }
        assertTrue(sawHeavyA);
    }

    @Test
    void speedscopeSamplesAreRootFirstAndRebuildTheSameStacks() throws IOException {
        Profile p = TestProfiles.heavy();
        JsonNode root = write(p);
        JsonNode frames = root.get("shared").get("frames");
        Map<String, Long> rebuilt = new TreeMap<>();
        for (JsonNode prof : root.get("profiles")) {
            for (JsonNode s : prof.get("samples")) {
                List<String> labels = new ArrayList<>();
                for (JsonNode idx : s) {
                    JsonNode f = frames.get(idx.asInt());
                    FrameInfo fi = f.has("file")
                            ? new FrameInfo(f.get("name").asText(), f.get("file").asText(), f.path("line").asInt(), 0)
                            : FrameInfo.synthetic(f.get("name").asText());
                    labels.add(fi.label());
                }
                assertTrue(labels.get(0).startsWith("thread ("), "root first: " + labels);
                rebuilt.merge(String.join(";", labels), 1L, Long::sum);
            }
        }
        assertEquals(RawWriter.collapse(p), rebuilt);
    }

    @Test
    void speedscopeOfAnEmptyProfileIsStillValid() throws IOException {
        JsonNode root = write(new Profile("empty", 0.01, 0));
        SpeedscopeChecks.assertValidSpeedscope(root);
        assertEquals(0, root.get("profiles").size());
    }

    @Test
    void framesCarryPySpysFieldsAndProcessesPrefixTheProfileNames() throws IOException {
        for (JsonNode f : write(TestProfiles.heavy()).path("shared").path("frames")) {
            assertTrue(f.has("col") && f.get("col").isNull(), "py-spy writes col: null: " + f);
            assertTrue(f.has("line"), f.toString());
        }
        assertEquals("Process 7 Thread 70 \"worker\"",
                SpeedscopeWriter.profileName(new ProfileThread(7, 70, "worker"), true));
        assertEquals("Thread 70 \"\"", SpeedscopeWriter.profileName(new ProfileThread(7, 70, null), false));
    }
}
