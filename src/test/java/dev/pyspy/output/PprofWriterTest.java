package dev.pyspy.output;

import dev.pyspy.testing.Executables;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayInputStream;
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
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PprofWriterTest {

    /** Just enough of profile.proto, decoded by field number. */
    static final class Decoded {
        final List<long[]> sampleTypes = new ArrayList<>();
        final List<Sample> samples = new ArrayList<>();
        final Map<Long, long[]> locations = new HashMap<>();     // id -> {mapping, function, line}
        final Map<Long, long[]> functions = new HashMap<>();     // id -> {name, system_name, filename, start_line}
        final List<String> strings = new ArrayList<>();
        final List<Long> mappingIds = new ArrayList<>();
        long timeNanos;
        long durationNanos;
        long[] periodType;
        long period;
        long defaultSampleType;
        final List<Long> comments = new ArrayList<>();

        String str(long i) {
            return strings.get((int) i);
        }

        /** Stack of function names, leaf first. */
        List<String> names(Sample s) {
            List<String> out = new ArrayList<>();
            for (long loc : s.locationIds) {
                out.add(str(functions.get(locations.get(loc)[1])[0]));
            }
            return out;
        }
    }

    record Sample(List<Long> locationIds, List<Long> values, Map<String, Object> labels) {
    }

    static Decoded decode(byte[] gz) throws IOException {
        byte[] raw;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            raw = in.readAllBytes();
        }
        Decoded d = new Decoded();
        List<byte[]> labelBlobs = new ArrayList<>();
        List<Sample> pendingSamples = new ArrayList<>();
        List<List<long[]>> pendingLabels = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(raw);
        int tag;
        while ((tag = in.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> d.sampleTypes.add(valueType(in.readByteArray()));
                case 2 -> {
                    List<long[]> labels = new ArrayList<>();
                    pendingSamples.add(sample(in.readByteArray(), labels));
                    pendingLabels.add(labels);
                }
                case 3 -> d.mappingIds.add(fields(in.readByteArray()).getOrDefault(1, List.of(0L)).get(0));
                case 4 -> {
                    CodedInputStream l = CodedInputStream.newInstance(in.readByteArray());
                    long id = 0;
                    long mapping = 0;
                    long function = 0;
                    long line = 0;
                    int lineCount = 0;
                    int t;
                    while ((t = l.readTag()) != 0) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> id = l.readUInt64();
                            case 2 -> mapping = l.readUInt64();
                            case 4 -> {
                                Map<Integer, List<Long>> lf = fields(l.readByteArray());
                                function = lf.get(1).get(0);
                                line = lf.getOrDefault(2, List.of(0L)).get(0);
                                lineCount++;
                            }
                            default -> l.skipField(t);
                        }
                    }
                    assertEquals(1, lineCount, "one Line per Location");
                    d.locations.put(id, new long[] {mapping, function, line});
                }
                case 5 -> {
                    Map<Integer, List<Long>> f = fields(in.readByteArray());
                    d.functions.put(f.get(1).get(0), new long[] {
                        f.getOrDefault(2, List.of(0L)).get(0), f.getOrDefault(3, List.of(0L)).get(0),
                        f.getOrDefault(4, List.of(0L)).get(0), f.getOrDefault(5, List.of(0L)).get(0)});
                }
                case 6 -> d.strings.add(in.readStringRequireUtf8());
                case 9 -> d.timeNanos = in.readInt64();
                case 10 -> d.durationNanos = in.readInt64();
                case 11 -> d.periodType = valueType(in.readByteArray());
                case 12 -> d.period = in.readInt64();
                case 13 -> d.comments.add(in.readInt64());
                case 14 -> d.defaultSampleType = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        for (int i = 0; i < pendingSamples.size(); i++) {
            Sample s = pendingSamples.get(i);
            for (long[] label : pendingLabels.get(i)) {
                String key = d.str(label[0]);
                s.labels().put(key, label[1] != 0 ? d.str(label[1]) : (Object) label[2]);
            }
            d.samples.add(s);
        }
        return d;
    }

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

    private static long[] valueType(byte[] b) throws IOException {
        Map<Integer, List<Long>> f = fields(b);
        return new long[] {f.getOrDefault(1, List.of(0L)).get(0), f.getOrDefault(2, List.of(0L)).get(0)};
    }

    private static Sample sample(byte[] b, List<long[]> labels) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        List<Long> locs = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 3) {
                Map<Integer, List<Long>> l = fields(in.readByteArray());
                labels.add(new long[] {l.get(1).get(0), l.getOrDefault(2, List.of(0L)).get(0),
                    l.getOrDefault(3, List.of(0L)).get(0)});
            } else if (field == 1 || field == 2) {
                List<Long> target = field == 1 ? locs : values;
                if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    while (in.getBytesUntilLimit() > 0) {
                        target.add(in.readRawVarint64());
                    }
                    in.popLimit(limit);
                } else {
                    target.add(in.readRawVarint64());
                }
            } else {
                in.skipField(tag);
            }
        }
        return new Sample(locs, values, new HashMap<>());
    }

    /** Varint fields of a flat message, by field number. */
    private static Map<Integer, List<Long>> fields(byte[] b) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        Map<Integer, List<Long>> out = new HashMap<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                out.computeIfAbsent(WireFormat.getTagFieldNumber(tag), k -> new ArrayList<>()).add(in.readRawVarint64());
            } else {
                in.skipField(tag);
            }
        }
        return out;
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
        Decoded d = decode(bytes);
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
        Decoded d = decode(write(TestProfiles.heavy()));
        long totalCount = 0;
        Map<String, Long> byStack = new HashMap<>();
        for (Sample s : d.samples) {
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
        Decoded d = decode(write(TestProfiles.heavy()));
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
        Decoded d = decode(write(TestProfiles.heavy()));
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
        Decoded d = decode(write(p));
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
