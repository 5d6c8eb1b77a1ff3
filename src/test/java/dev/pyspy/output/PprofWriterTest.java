package dev.pyspy.output;

import dev.pyspy.testing.Executables;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PprofWriterTest {

    /** Runs {@code go tool pprof ARGS} in {@code workDir} with its home and caches in {@code dir}; its output, once it succeeded. */
    private static String pprof(String go, Path dir, Path workDir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(go, "tool", "pprof"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString()); // pprof may want a writable home
        pb.environment().put("GOCACHE", dir.resolve("gocache").toString());
        pb.environment().put("PPROF_TMPDIR", dir.toString());
        Process proc = pb.start();
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "go tool pprof finished");
        assertEquals(0, proc.exitValue(), output);
        return output;
    }

    static byte[] write(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PprofWriter().write(p, out);
        return out.toByteArray();
    }

    @Test
    void pprofIsGzipWithEmptyFirstStringAndCpuSampleTypes() throws IOException {
        byte[] bytes = write(TestProfiles.heavy());
        assertEquals(0x1f, bytes[0] & 0xff);
        assertEquals(0x8b, bytes[1] & 0xff);
        PprofDecoder.Decoded d = PprofDecoder.decode(bytes);
        assertEquals("", d.strings.get(0));
        assertEquals(d.strings.size(), d.strings.stream().distinct().count(), "strings are interned once");
        assertEquals(2, d.sampleTypes.size());
        assertEquals("samples", d.str(d.sampleTypes.get(0)[0]));
        assertEquals("count", d.str(d.sampleTypes.get(0)[1]));
        assertEquals("cpu", d.str(d.sampleTypes.get(1)[0]));
        assertEquals("nanoseconds", d.str(d.sampleTypes.get(1)[1]));
        assertEquals("cpu", d.str(d.periodType[0]));
        assertEquals("nanoseconds", d.str(d.periodType[1]));
        assertEquals(10_000_000L, d.period);
        assertEquals(TestProfiles.START_MILLIS * 1_000_000L, d.timeNanos);
        assertEquals(1_000_000_000L, d.durationNanos);
        assertEquals("cpu", d.str(d.defaultSampleType));
        assertEquals(List.of(TestProfiles.TITLE), d.comments.stream().map(d::str).toList());
    }

    @Test
    void pprofSamplesCountAndCpuTimeWithLeafFirstLocations() throws IOException {
        PprofDecoder.Decoded d = PprofDecoder.decode(write(TestProfiles.heavy()));
        long totalCount = 0;
        Map<String, Long> byStack = new HashMap<>();
        for (PprofDecoder.Sample s : d.samples) {
            assertEquals(2, s.values().size());
            assertEquals(s.values().get(0) * 10_000_000L, s.values().get(1));
            totalCount += s.values().get(0);
            List<String> names = d.names(s);
            assertTrue(names.get(names.size() - 1).startsWith("thread ("), "root last: " + names);
            byStack.merge(String.join("<", names), s.values().get(0), Long::sum);
            Object tid = s.labels().get("thread_id");
            assertNotNull(tid);
            assertEquals(names.get(names.size() - 1).contains("1001") ? 1001L : 1002L, tid);
            assertEquals(tid.equals(1001L) ? "MainThread" : "worker", s.labels().get("thread_name"));
        }
        assertEquals(200, totalCount);
        assertEquals(60L, byStack.get("heavy_a<main<<module><thread (1001): MainThread"));
        assertEquals(30L, byStack.get("dot<heavy_a<worker_loop<run<_bootstrap_inner<thread (1002): worker"));
    }

    @Test
    void pprofFunctionsCarryFileAndStartLineAndLocationsTheLine() throws IOException {
        PprofDecoder.Decoded d = PprofDecoder.decode(write(TestProfiles.heavy()));
        boolean found = false;
        for (Map.Entry<Long, long[]> loc : d.locations.entrySet()) {
            long[] l = loc.getValue();
            assertTrue(d.mappingIds.contains(l[0]), "location's mapping exists");
            long[] f = d.functions.get(l[1]);
            assertNotNull(f, "location's function exists");
            if (d.str(f[0]).equals("heavy_a")) {
                found = true;
                assertEquals("", d.str(f[1]), "no system_name: pprof would 'demangle' <module> to nothing");
                assertEquals("heavy.py", d.str(f[2]));
                assertEquals(3, f[3]);
                assertEquals(5, l[2]);
            }
        }
        assertTrue(found);
        assertEquals(d.locations.size(), TestProfiles.heavy().frames().size(), "one location per frame");
    }

    @Test
    void pprofSyntheticFramesBecomeFunctionsWithoutFilename() throws IOException {
        PprofDecoder.Decoded d = PprofDecoder.decode(write(TestProfiles.heavy()));
        int synthetic = 0;
        for (long[] f : d.functions.values()) {
            if (d.str(f[0]).startsWith("thread (")) {
                synthetic++;
                assertEquals(0, f[2], "no filename");
                assertEquals(0, f[3]);
            } else {
                assertFalse(d.str(f[2]).isEmpty());
            }
        }
        assertEquals(2, synthetic);
    }

    @Test
    void goToolPprofTopListsTheHeavyFunctions(@TempDir Path dir) throws Exception {
        String go = Executables.findOnPath("go");
        assumeTrue(go != null, "go not installed");
        Path file = dir.resolve("profile.pprof");
        Files.write(file, write(TestProfiles.heavy()));
        String output = pprof(go, dir, dir, "-top", "-nodecount=50", file.toString());
        assertTrue(output.contains("heavy_a"), output);
        assertTrue(output.contains("heavy_b"), output);
        assertTrue(output.contains("Type: cpu"), output);
        assertTrue(output.contains("of 2000ms total") || output.contains("of 2s total"), output);
        // heavy_b is the leaf of 100 of 200 samples: 1 s flat, 50 %; <module> keeps its name.
        assertTrue(output.lines().anyMatch(l -> l.matches("\\s*(1000ms|1s)\\s+50(\\.00)?%.*\\sheavy_b\\s*")), output);
        assertTrue(output.lines().anyMatch(l -> l.endsWith(" <module>")), output);
        assertFalse(output.contains("[python]"), "every location has a named function: " + output);
    }

    @Test
    void pprofFunctionsCarryTheFullPathWhateverTheLabelShows() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 3, new FrameInfo("run", "threading.py", 975, 970, "/usr/lib/python3.11/threading.py"));
        PprofDecoder.Decoded d = PprofDecoder.decode(write(p));
        assertEquals(List.of("/usr/lib/python3.11/threading.py"),
                d.functions.values().stream().map(f -> d.str(f[2])).toList());
    }

    @Test
    void goToolPprofListFindsTheSourceWithoutSourcePath(@TempDir Path dir) throws Exception {
        String go = Executables.findOnPath("go");
        assumeTrue(go != null, "go not installed");
        Path source = dir.resolve("app").resolve("work.py");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "def work():\n    total = 0\n    total += sum(range(1000))  # the hot line\n");
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 7, new FrameInfo("work", "work.py", 3, 1, source.toString()));
        Path file = dir.resolve("profile.pprof");
        Files.write(file, write(p));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        String output = pprof(go, dir, elsewhere, "-list", "work", file.toString());
        assertTrue(output.lines().anyMatch(l -> l.contains("70ms") && l.contains("total += sum(range(1000))  # the hot line")),
                output);
    }

}
