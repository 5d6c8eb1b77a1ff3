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
 * {@code dump --native} through the libraries real programs call: libc's {@code qsort} through
 * ctypes and libffi with a Python comparison (a stack that stays put while the comparison spins, so
 * gdb's backtrace of the same thread is an exact oracle for the native part), and the standard
 * library's zlib, hashlib and json in their C code.
 */
@NeedsRoot
class NativeLibrariesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Host interpreters, which gdb can read (2.7, the pyenv builds, Debian's static 3.11). */
    static List<Interpreter> hostInterpreters() {
        return Interpreters.all().stream().filter(i -> i.root() == null && !i.freeThreaded()).toList();
    }

    /**
     * The sorting thread is {@code spin, compare} (Python), then qsort's native chain up to ctypes'
     * call (every frame of it one gdb shows, in gdb's order, libffi's unnamed ones included), then
     * {@code sort} and the thread's start (Python).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hostInterpreters")
    void ctypesQsortIsUnwoundAsGdbSeesIt(Interpreter python) throws Exception {
        Path dir = TargetProcess.scripts("native_qsort_target.py");
        try (TargetProcess target = TargetProcess.start(python, dir.resolve("native_qsort_target.py"))) {
            JsonNode truth = target.truth(30);
            int tid = truth.get("tid").asInt();
            List<String> pythonFrames = new ArrayList<>();
            truth.get("python").forEach(n -> pythonFrames.add(n.asText()));
            assertEquals(List.of("spin", "compare", "sort"), pythonFrames.subList(0, 3), truth.toString());
            List<GdbFrame> gdb = gdbFrames(target.pid(), tid);

            List<JsonNode> frames = dumpedThread(target.pid(), tid);
            List<String> shownPython = new ArrayList<>();
            List<JsonNode> natives = new ArrayList<>();
            for (JsonNode f : frames) {
                if (NativeExtension.isNative(f)) {
                    assertEquals(2, shownPython.size(), "native frames lie between compare and sort: " + frames);
                    natives.add(f);
                } else {
                    String name = f.get("name").asText();
                    shownPython.add(name.substring(name.lastIndexOf('.') + 1));
                }
            }
            assertEquals(pythonFrames, shownPython, frames.toString());

            // gdb's frames between the loop running compare and the one running sort: the one holding qsort
            List<GdbFrame> chunk = qsortChunk(gdb);
            int at = 0;
            for (JsonNode f : natives) {
                String name = normalized(f.get("name").asText());
                while (at < chunk.size() && !normalized(chunk.get(at).name).equals(name)) {
                    at++;
                }
                assertTrue(at < chunk.size(), f + " is in gdb's backtrace between the loops, in order: " + chunk
                        + "\nshown: " + natives);
                at++;
            }
            assertTrue(natives.stream().anyMatch(f -> normalized(f.get("name").asText()).equals("qsort_r")
                    && NativeExtension.library(f).startsWith("libc.so")), "qsort_r (libc.so.6): " + natives);
            // frames gdb shows from a file without debug information (libffi, a stripped _ctypes): each
            // one is there too (the interpreter's own are left out on purpose)
            for (GdbFrame g : chunk) {
                String lib = g.library == null ? null : Path.of(g.library).getFileName().toString();
                if (lib == null || lib.startsWith("libpython") || lib.startsWith("python")) {
                    continue;
                }
                long inGdb = chunk.stream().filter(c -> g.library.equals(c.library)).count();
                long shown = natives.stream().filter(f -> NativeExtension.library(f).startsWith(lib)).count();
                assertTrue(shown >= inGdb, "frames of " + lib + ": gdb " + chunk + "\nshown " + natives);
            }
        }
    }

    /**
     * zlib's and hashlib's threads, in their C libraries: libz's exported {@code deflate} is named
     * under the zlib module's function, and libcrypto's frames under {@code _hashlib}'s, with the
     * thread's Python frames (its own traceback) outside them.
     */
    @Test
    void standardLibraryCallsAreNamedByTheirLibraries() throws Exception {
        Interpreter python = Interpreters.all().stream()
                .filter(i -> i.root() == null && i.majorMinor().equals("3.12")).findFirst().orElseThrow();
        Path dir = TargetProcess.scripts("native_stdlib_target.py");
        try (TargetProcess target = TargetProcess.start(python, dir.resolve("native_stdlib_target.py"))) {
            JsonNode truth = target.truth(30).get("threads");
            JsonNode zlib = null;
            JsonNode hashlib = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while ((zlib == null || hashlib == null) && System.nanoTime() < deadline) {
                PyspyCli.Result r = PyspyCli.run("dump", "--native", "--json", "-p", Integer.toString(target.pid()));
                assertEquals(0, r.exitCode(), r.toString());
                for (JsonNode t : JSON.readTree(r.stdout())) {
                    int tid = t.get("os_thread_id").asInt();
                    // in deflate (not deflateInit2_ or deflateEnd, which the call runs too)
                    if (tid == truth.get("zlib").get("tid").asInt() && inFunction(t, "libz.so", "deflate")) {
                        zlib = t;
                    } else if (tid == truth.get("hashlib").get("tid").asInt() && inFunction(t, "libcrypto.so", null)) {
                        hashlib = t;
                    }
                }
            }
            assertNotNull(zlib, "the zlib thread was seen in deflate (libz.so.1)");
            assertNotNull(hashlib, "the hashlib thread was seen in libcrypto");
            checkThread(zlib, truth.get("zlib"), "libz.so", "deflate", "zlib.");
            checkThread(hashlib, truth.get("hashlib"), "libcrypto.so", null, "_hashlib.");
        }
    }

    /** Whether a native frame of {@code library} is named {@code function} (any, if null). */
    private static boolean inFunction(JsonNode thread, String library, String function) {
        for (JsonNode f : thread.get("frames")) {
            if (NativeExtension.isNative(f) && NativeExtension.library(f).startsWith(library)
                    && (function == null || f.get("name").asText().equals(function))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Native frames innermost, then the thread's own Python frames; the library's frames are below
     * the module's, and {@code named} (when given) is one of them.
     */
    private static void checkThread(JsonNode thread, JsonNode truth, String library, String named, String module) {
        List<String> python = new ArrayList<>();
        truth.get("python").forEach(n -> python.add(n.asText()));
        List<String> shownPython = new ArrayList<>();
        int lastLibrary = -1;
        int firstModule = -1;
        boolean named0 = named == null;
        List<JsonNode> frames = new ArrayList<>();
        thread.get("frames").forEach(frames::add);
        for (int i = 0; i < frames.size(); i++) {
            JsonNode f = frames.get(i);
            if (!NativeExtension.isNative(f)) {
                String name = f.get("name").asText();
                shownPython.add(name.substring(name.lastIndexOf('.') + 1));
                continue;
            }
            assertTrue(shownPython.isEmpty(), "native frames are innermost: " + frames);
            if (NativeExtension.library(f).startsWith(library)) {
                lastLibrary = i;
                named0 |= f.get("name").asText().equals(named);
            } else if (NativeExtension.library(f).startsWith(module) && firstModule < 0) {
                firstModule = i;
            }
        }
        assertEquals(python, shownPython, frames.toString());
        assertTrue(named0, named + " (" + library + ") is among the frames: " + frames);
        assertTrue(firstModule > lastLibrary, "the " + module + " module's frame calls " + library + ": " + frames);
    }

    private static List<JsonNode> dumpedThread(int pid, int tid) throws Exception {
        PyspyCli.Result r = PyspyCli.run("dump", "--native", "--json", "-p", Integer.toString(pid));
        assertEquals(0, r.exitCode(), r.toString());
        for (JsonNode t : JSON.readTree(r.stdout())) {
            if (t.get("os_thread_id").asInt() == tid) {
                List<JsonNode> frames = new ArrayList<>();
                t.get("frames").forEach(frames::add);
                return frames;
            }
        }
        throw new AssertionError("thread " + tid + " is in the dump: " + r.stdout());
    }

    /** gdb's frames between two evaluation loops that hold a qsort frame. */
    private static List<GdbFrame> qsortChunk(List<GdbFrame> gdb) {
        int start = -1;
        for (int i = 0; i < gdb.size(); i++) {
            if (isEvalLoop(gdb.get(i).name)) {
                if (start >= 0) {
                    List<GdbFrame> chunk = gdb.subList(start + 1, i);
                    if (chunk.stream().anyMatch(g -> normalized(g.name).startsWith("qsort"))) {
                        return chunk;
                    }
                }
                start = i;
            }
        }
        throw new AssertionError("gdb shows qsort between two evaluation loops: " + gdb);
    }

    private static boolean isEvalLoop(String name) {
        return name.equals("_PyEval_EvalFrameDefault") || name.equals("PyEval_EvalFrameEx");
    }

    /**
     * A function's name as both sides can agree on it: gcc's clone suffixes ({@code .part.0},
     * {@code .constprop.0}, {@code .isra.0}, {@code .cold}) and glibc's internal alias prefix
     * ({@code __GI_}) and leading underscores off (gdb names an alias, pyspy the global symbol);
     * an unnamed address is {@code ??} (pyspy adds where its function starts).
     */
    static String normalized(String name) {
        if (name.startsWith("??")) {
            return "??";
        }
        String n = name.replaceAll("(\\.(part|constprop|isra|cold|lto_priv)(\\.\\d+)?)+$", "");
        if (n.startsWith("__GI_")) {
            n = n.substring(5);
        }
        return n.replaceAll("^_+", "");
    }

    private record GdbFrame(String name, String library) {
        @Override
        public String toString() {
            return library == null ? name : name + " from " + library;
        }
    }

    private static final Pattern FRAME = Pattern.compile("^#\\d+\\s+(?:0x[0-9a-f]+ in )?(\\S+) \\(.*?\\)(?: from (\\S+))?.*$");

    /** gdb's frames of thread {@code tid}, innermost first (inlined ones included), with the library of those without debug information. */
    private static List<GdbFrame> gdbFrames(int pid, int tid) throws IOException, InterruptedException {
        List<GdbFrame> frames = new ArrayList<>();
        for (String line : GdbBacktraces.frameLines(pid, tid)) {
            Matcher f = FRAME.matcher(line);
            if (f.matches()) {
                String library = line.matches(".*\\) from \\S+$") ? line.substring(line.lastIndexOf(" from ") + 6) : null;
                frames.add(new GdbFrame(f.group(1), library));
            }
        }
        return frames;
    }
}
