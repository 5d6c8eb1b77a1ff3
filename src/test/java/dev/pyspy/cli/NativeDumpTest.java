package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.GdbBacktraces;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code dump --native} against a C extension built here with gcc against each interpreter's own
 * headers: a thread spins 3 C frames deep, under Python frames that were called back from 3 C frames
 * under more Python frames. The expected interleaving is known from the sources (the C chain) and
 * the target's own traceback (the Python part, written from inside the C call); gdb's backtrace of
 * the same thread is the second oracle: every native frame shown is one gdb sees, in its order.
 */
@NeedsRoot
class NativeDumpTest {

    private static final List<String> INNER_C = List.of("ext_spin_inner", "ext_spin_middle", "spin");
    private static final List<String> MIDDLE_C = List.of("ext_call_level2", "ext_call_level1", "call_back");
    /** Python frames run by the innermost evaluation loop: inner, middle, callback. */
    private static final int INNER_PYTHON = 3;

    /**
     * Every interpreter, Debian's stripped static 3.14/3.15 included: their exported
     * {@code _PyEval_EvalFrameDefault} is a small entry that jumps into unnamed code, so the loop is
     * found there by the shim frame it keeps on its stack, not by name.
     */
    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void nativeFramesInterleaveWithPythonFramesAsTheSourcesSay(Interpreter python) throws Exception {
        Path dir = Files.createTempDirectory("pyspy-native");
        Path script = dir.resolve("native_ext_target.py");
        try (var in = getClass().getResourceAsStream("/targets/native_ext_target.py")) {
            Files.copy(in, script);
        }
        NativeExtension.build(python, dir);
        Path staged = python.stage(script);
        try (TargetProcess target = TargetProcess.start(python, script, python.inside(staged.getParent()))) {
            JsonNode truth = target.truth(30);
            int tid = truth.get("tid").asInt();
            List<String> pythonFrames = new ArrayList<>();
            truth.get("python").forEach(n -> pythonFrames.add(n.asText()));
            List<String> gdb = python.root() == null ? gdbFrames(target.pid(), tid) : null;

            PyspyCli.Result r = PyspyCli.run("dump", "--native", "--json", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            JsonNode spinner = null;
            for (JsonNode t : new ObjectMapper().readTree(r.stdout())) {
                if (t.get("os_thread_id").asInt() == tid) {
                    spinner = t;
                }
            }
            assertNotNull(spinner, "the spinning thread is in the dump: " + r.stdout());
            List<String> shown = new ArrayList<>();
            List<String> shownNative = new ArrayList<>();
            for (JsonNode f : spinner.get("frames")) {
                String name = f.get("name").asText();
                boolean nativeFrame = NativeExtension.isNative(f);
                // Python frames are qualified on 3.11+ (Thread.run); the truth has plain names
                shown.add(nativeFrame ? name : name.substring(name.lastIndexOf('.') + 1));
                if (nativeFrame) {
                    shownNative.add(name);
                    assertTrue(NativeExtension.library(f).endsWith(".so") || NativeExtension.library(f)
                            .contains(".so."), "a native frame's module is its library: " + f);
                    assertEquals(NativeExtension.library(f), f.get("short_filename").asText(),
                            "a library without line tables names the frame: " + f);
                }
            }
            List<String> expected = new ArrayList<>(INNER_C);
            expected.addAll(pythonFrames.subList(0, INNER_PYTHON));
            expected.addAll(MIDDLE_C);
            expected.addAll(pythonFrames.subList(INNER_PYTHON, pythonFrames.size()));
            assertEquals(expected, shown, r.stdout());
            if (gdb != null) {
                int at = 0;
                for (String name : shownNative) {
                    while (at < gdb.size() && !gdb.get(at).equals(name)) {
                        at++;
                    }
                    assertTrue(at < gdb.size(), name + " is in gdb's backtrace, in order: " + gdb);
                    at++;
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    static List<Interpreter> recordInterpreters() {
        // the three frame models: frame objects (2.7), one C call per several frames (3.11 static, 3.12
        // shared), and a loop known by its shim frame, not its name (Debian's stripped 3.14)
        return Interpreters.all().stream().filter(i -> (i.root() == null
                && (i.majorMinor().equals("2.7") || i.majorMinor().equals("3.12")
                        || i.path().toString().equals("/usr/bin/python3.11")))
                || "debian-3.14-chroot".equals(i.name())).toList();
    }

    /** {@code record --native}: every sample of the spinning thread is the whole interleaved stack. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("recordInterpreters")
    void recordNativeSamplesTheInterleavedStack(Interpreter python) throws Exception {
        Path dir = Files.createTempDirectory("pyspy-native");
        Path script = dir.resolve("native_ext_target.py");
        try (var in = getClass().getResourceAsStream("/targets/native_ext_target.py")) {
            Files.copy(in, script);
        }
        NativeExtension.build(python, dir);
        Path staged = python.stage(script);
        try (TargetProcess target = TargetProcess.start(python, script, python.inside(staged.getParent()))) {
            JsonNode truth = target.truth(30);
            List<String> pythonFrames = new ArrayList<>();
            truth.get("python").forEach(n -> pythonFrames.add(n.asText()));
            Path out = dir.resolve("out.txt");
            PyspyCli.recordUntilSamples(dir, 20, "--native", "-r", "50", "-f", "raw", "-o", out.toString(), "-p",
                    Integer.toString(target.pid()));
            List<String> expected = new ArrayList<>(pythonFrames.subList(INNER_PYTHON, pythonFrames.size()));
            java.util.Collections.reverse(expected);
            List<String> callC = new ArrayList<>(MIDDLE_C);
            java.util.Collections.reverse(callC);
            expected.addAll(callC);
            List<String> innerPython = new ArrayList<>(pythonFrames.subList(0, INNER_PYTHON));
            java.util.Collections.reverse(innerPython);
            expected.addAll(innerPython);
            List<String> spinC = new ArrayList<>(INNER_C);
            java.util.Collections.reverse(spinC);
            expected.addAll(spinC);
            int spinning = 0;
            for (String line : Files.readAllLines(out)) {
                String stack = line.substring(0, line.lastIndexOf(' '));
                if (!stack.contains("ext_spin_inner")) {
                    continue;
                }
                spinning++;
                List<String> names = new ArrayList<>();
                for (String frame : stack.split(";")) {
                    String name = frame.substring(0, frame.lastIndexOf(" ("));
                    names.add(name.substring(name.lastIndexOf('.') + 1));
                }
                assertEquals(expected, names, line);
            }
            assertTrue(spinning > 0, "the spinning thread was sampled: " + Files.readString(out));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static final Pattern TOP_ROW =
            Pattern.compile("^\\s*(\\d+\\.\\d\\d)%\\s+(\\d+\\.\\d\\d)%\\s+\\S+s\\s+\\S+s\\s+(.*)$");

    /**
     * {@code top --native}: the spinning thread's own time is in the C function that spins, named
     * after its library, and the Python functions above it have total time only.
     */
    @Test
    void topNativeShowsTheSpinningCFunctionAsOwnTime() throws Exception {
        Interpreter python = Interpreters.all().stream()
                .filter(i -> i.root() == null && i.majorMinor().equals("3.12")).findFirst().orElseThrow();
        Path dir = Files.createTempDirectory("pyspy-native");
        Path script = dir.resolve("native_ext_target.py");
        try (var in = getClass().getResourceAsStream("/targets/native_ext_target.py")) {
            Files.copy(in, script);
        }
        NativeExtension.build(python, dir);
        try (TargetProcess target = TargetProcess.start(python, script, dir.toString())) {
            target.truth(30);
            Path out = dir.resolve("top.out");
            Path err = dir.resolve("top.err");
            Process pyspy = PyspyCli.start(out, err, "top", "--native", "--delay", "0.5", "-p",
                    Integer.toString(target.pid()));
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String spinRow = null;
                String innerRow = null;
                while ((spinRow == null || innerRow == null) && System.nanoTime() < deadline && pyspy.isAlive()) {
                    Thread.sleep(100);
                    // the last complete snapshot: rows after the last header
                    String text = Files.readString(out);
                    int header = text.lastIndexOf("pyspy top - PID");
                    for (String line : text.substring(Math.max(0, header)).split("\n")) {
                        Matcher m = TOP_ROW.matcher(line);
                        if (!m.matches() || Double.parseDouble(m.group(2)) == 0) {
                            continue;
                        }
                        if (m.group(3).equals("ext_spin_inner (nativeext.so)") && Double.parseDouble(m.group(1)) > 0) {
                            spinRow = line;
                        } else if (m.group(3).equals("inner (native_ext_target.py)")) {
                            innerRow = line;
                        }
                    }
                }
                String shown = Files.readString(out) + Files.readString(err);
                assertNotNull(spinRow, "the C function that spins has own time:\n" + shown);
                assertNotNull(innerRow, "the Python function above it has total time:\n" + shown);
                Matcher inner = TOP_ROW.matcher(innerRow);
                assertTrue(inner.matches());
                assertTrue(Double.parseDouble(inner.group(1)) < Double.parseDouble(inner.group(2)),
                        "the Python caller's time is mostly the C function's: " + innerRow);
            } finally {
                pyspy.destroy();
                assertTrue(pyspy.waitFor(30, TimeUnit.SECONDS));
            }
            TopIntegrationTest.assertNotStopped(target.pid());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void nativeWithNonblockingIsAUsageError() throws Exception {
        for (String command : List.of("dump", "record", "top")) {
            PyspyCli.Result r = PyspyCli.run(command, "--native", "--nonblocking", "-p", "1");
            assertEquals(2, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("--native") && r.stderr().contains("--nonblocking"), r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        }
    }

    private static final Pattern FRAME = Pattern.compile("^#\\d+\\s+(?:0x[0-9a-f]+ in )?(\\S+) .*");

    /** gdb's frame names for thread {@code tid}, innermost first (inlined frames included). */
    static List<String> gdbFrames(int pid, int tid) throws IOException, InterruptedException {
        List<String> frames = new ArrayList<>();
        for (String line : GdbBacktraces.frameLines(pid, tid)) {
            Matcher f = FRAME.matcher(line);
            if (f.matches()) {
                frames.add(f.group(1));
            }
        }
        return frames;
    }
}
