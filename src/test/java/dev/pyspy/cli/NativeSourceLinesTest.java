package dev.pyspy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.GdbBacktraces;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --native} with line tables: the test extension (nativeext.c) built with {@code -g}, so each
 * of its frames carries {@code nativeext.c} and a line, known from the source itself (the line
 * that spins, and in each caller the line of its call), and compared with gdb's backtrace of the
 * same thread, which reads the same line table its own way.
 */
@NeedsRoot
class NativeSourceLinesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Each C function of the spinning thread, innermost first, and the text of the line it is on. */
    private static final Map<String, String> LINE_TEXT = new LinkedHashMap<>();

    static {
        LINE_TEXT.put("ext_spin_inner", "/* the spinning line");
        LINE_TEXT.put("ext_spin_middle", "long r = ext_spin_inner(n + 1);");
        LINE_TEXT.put("spin", "ext_spin_middle(1);");
        LINE_TEXT.put("ext_call_level2", "PyObject *r = PyObject_CallObject(f, NULL);");
        LINE_TEXT.put("ext_call_level1", "PyObject *r = ext_call_level2(f);");
        LINE_TEXT.put("call_back", "PyObject *r = ext_call_level1(f);");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void dumpShowsEachCFrameOnTheLineTheSourceAndGdbSay(Interpreter python) throws Exception {
        Path dir = Files.createTempDirectory("pyspy-lines");
        try {
            Path script = withExtension(python, dir);
            Path staged = python.stage(script);
            Map<String, Integer> lines = expectedLines();
            try (TargetProcess target = TargetProcess.start(python, script, python.inside(staged.getParent()))) {
                int tid = target.truth(30).get("tid").asInt();
                Map<String, String> gdb = python.root() == null ? gdbLines(target.pid(), tid) : null;

                PyspyCli.Result r = PyspyCli.run("dump", "--native", "--json", "-p", Integer.toString(target.pid()));
                assertEquals(0, r.exitCode(), r.toString());
                List<JsonNode> frames = thread(r.stdout(), tid);
                List<String> shown = new ArrayList<>();
                for (JsonNode f : frames) {
                    if (NativeExtension.isNative(f) && LINE_TEXT.containsKey(f.get("name").asText())) {
                        String name = f.get("name").asText();
                        assertEquals("nativeext.so", NativeExtension.library(f), f.toString());
                        assertEquals("nativeext.c", f.get("short_filename").asText(), f.toString());
                        assertTrue(f.get("filename").asText().endsWith("/nativeext.c"), f.toString());
                        assertEquals((int) lines.get(name), f.get("line").asInt(), name + " is on its line: " + f);
                        if (gdb != null) {
                            assertEquals(gdb.get(name), "nativeext.c:" + f.get("line").asInt(),
                                    name + ": gdb's line " + gdb);
                        }
                        shown.add(name);
                    }
                }
                assertEquals(new ArrayList<>(LINE_TEXT.keySet()), shown, frames.toString());
                assertTrue(r.stdout().contains("\"module\" : null"), "Python frames have no module: " + r.stdout());
            }
        } finally {
            delete(dir);
        }
    }

    /**
     * {@code record --native}: every sample of the spinning thread ends in its Python caller, then
     * {@code spin}, {@code ext_spin_middle} and {@code ext_spin_inner}, each at its line.
     */
    @Test
    void recordShowsTheSpinningLineUnderItsPythonCaller() throws Exception {
        Interpreter python = Interpreters.all().stream()
                .filter(i -> i.root() == null && i.majorMinor().equals("3.12")).findFirst().orElseThrow();
        Path dir = Files.createTempDirectory("pyspy-lines");
        try {
            Path script = withExtension(python, dir);
            Map<String, Integer> lines = expectedLines();
            try (TargetProcess target = TargetProcess.start(python, script, dir.toString())) {
                target.truth(30);
                Path out = dir.resolve("out.txt");
                PyspyCli.recordUntilSamples(dir, 20, "--native", "-r", "50", "-f", "raw", "-o", out.toString(), "-p",
                        Integer.toString(target.pid()));
                String leaf = "spin (nativeext.c:" + lines.get("spin") + ");ext_spin_middle (nativeext.c:"
                        + lines.get("ext_spin_middle") + ");ext_spin_inner (nativeext.c:" + lines.get("ext_spin_inner")
                        + ")";
                Pattern caller = Pattern.compile(".*;inner \\(native_ext_target\\.py:\\d+\\);" + Pattern.quote(leaf));
                int spinning = 0;
                for (String line : Files.readAllLines(out)) {
                    String stack = line.substring(0, line.lastIndexOf(' '));
                    if (stack.contains("ext_spin_inner")) {
                        spinning++;
                        assertTrue(caller.matcher(stack).matches(), "ends in inner, then " + leaf + ": " + line);
                    }
                }
                assertTrue(spinning > 0, "the spinning thread was sampled: " + Files.readString(out));
            }
        } finally {
            delete(dir);
        }
    }

    /** The target and nativeext.so (with -g) in {@code dir}; returns the script. */
    private static Path withExtension(Interpreter python, Path dir) throws Exception {
        Path script = dir.resolve("native_ext_target.py");
        try (var in = NativeSourceLinesTest.class.getResourceAsStream("/targets/native_ext_target.py")) {
            Files.copy(in, script);
        }
        NativeExtension.build(python, dir, "-g");
        return script;
    }

    /** The line of each C function's frame, found in the source by its text. */
    private static Map<String, Integer> expectedLines() throws IOException {
        List<String> source;
        try (var in = NativeSourceLinesTest.class.getResourceAsStream("/targets/native/nativeext.c")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        Map<String, Integer> lines = new LinkedHashMap<>();
        LINE_TEXT.forEach((function, text) -> {
            int at = -1;
            for (int i = 0; i < source.size(); i++) {
                if (source.get(i).contains(text)) {
                    assertEquals(-1, at, "one line holds " + text);
                    at = i + 1;
                }
            }
            assertTrue(at > 0, "the source holds " + text);
            lines.put(function, at);
        });
        return lines;
    }

    private static List<JsonNode> thread(String json, int tid) throws IOException {
        for (JsonNode t : JSON.readTree(json)) {
            if (t.get("os_thread_id").asInt() == tid) {
                List<JsonNode> frames = new ArrayList<>();
                t.get("frames").forEach(frames::add);
                return frames;
            }
        }
        throw new AssertionError("thread " + tid + " is in the dump: " + json);
    }

    private static final Pattern GDB_FRAME = Pattern.compile("^#\\d+\\s+(?:0x[0-9a-f]+ in )?(\\S+) \\(.*\\) at (\\S+):(\\d+)$");

    /** gdb's {@code file:line} of each function of thread {@code tid} that it has a line for. */
    private static Map<String, String> gdbLines(int pid, int tid) throws IOException, InterruptedException {
        Map<String, String> lines = new LinkedHashMap<>();
        for (String line : GdbBacktraces.frameLines(pid, tid)) {
            Matcher m = GDB_FRAME.matcher(line);
            if (m.matches()) {
                lines.putIfAbsent(m.group(1), Path.of(m.group(2)).getFileName() + ":" + m.group(3));
            }
        }
        return lines;
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }
}
