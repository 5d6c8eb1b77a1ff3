package dev.pyspy.python;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The steps of docs/layouts.md "Adding a version", followed for a pretend 3.16 whose data is a copy of
 * an existing version's: the new files plus {@code scripts/gen-layouts --index-only} in a copy of the
 * layout directory, and no code change, make pyspy accept, describe, load and walk 3.16. Also proves
 * that the committed index is exactly what the generator writes.
 */
@Timeout(300)
@NeedsRoot
class NewVersionDryRunTest {
    private static final Path GEN_LAYOUTS = Path.of("scripts", "gen-layouts").toAbsolutePath();
    private static final PythonVersion V316 = PythonVersion.fromHex(0x031000F0L);

    @TempDir
    Path root;

    @Test
    void theCommittedIndexIsWhatTheGeneratorWrites() throws Exception {
        Path layouts = copyOfBundledLayouts();
        for (String file : List.of("versions.properties", "debug-offsets-keys.properties")) {
            Files.delete(layouts.resolve(file));
        }
        generateIndex(layouts);
        for (String file : List.of("versions.properties", "debug-offsets-keys.properties")) {
            assertEquals(Files.readString(bundledLayouts().resolve(file)), Files.readString(layouts.resolve(file)),
                    file + " differs from what scripts/gen-layouts --index-only writes: regenerate it");
        }
    }

    @Test
    void aCopyOf315NamedAs316IsAcceptedWithNoCodeChange() throws Exception {
        // without the new data, 3.16 is refused, naming the versions pyspy does read
        PyspyException refused = assertThrows(PyspyException.class,
                () -> PythonProcess.layoutFor(LayoutData.BUNDLED, V316, null, 0, false));
        assertEquals(ExitCode.UNSUPPORTED_VERSION, refused.exitCode());
        assertTrue(refused.getMessage().contains(LayoutData.BUNDLED.describe()), refused.getMessage());
        assertFalse(LayoutData.BUNDLED.describe().contains("3.16"), LayoutData.BUNDLED.describe());

        LayoutData data = addVersion("3.15", "3.16");
        assertEquals("3.16.0", V316.toString());
        assertTrue(data.tables().contains("3.16") && data.tables().contains("3.16t"), data.tables().toString());
        assertTrue(data.debugOffsetVersions().contains("3.16"), data.debugOffsetVersions().toString());
        assertTrue(data.describe().contains("3.6 to 3.16"), data.describe());
        assertTrue(data.describe().contains("free-threaded 3.13t to 3.16t"), data.describe());

        for (boolean freeThreaded : new boolean[]{false, true}) {
            PythonVersion v = V316.withFreeThreaded(freeThreaded);
            Layout layout = PythonProcess.layoutFor(data, v, null, 0, false);
            Layout original = LayoutData.BUNDLED.table(freeThreaded ? "3.15t" : "3.15");
            assertEquals(CodeInfo.LineFormat.LOCATION_TABLE, layout.lineFormat());
            assertEquals(original.offset("PyThreadState.current_frame"), layout.offset("PyThreadState.current_frame"));
            assertEquals(original.offset("const.UNICODE_STATE_KIND_SHIFT"), layout.offset("const.UNICODE_STATE_KIND_SHIFT"));
            assertNotNull(data.debugOffsetsMap(v));
            // the readers build on it as they do for 3.15
            new PyObjects(new FuzzMemory.Random(1, false, 1, 1), layout, v);
        }
    }

    /**
     * The newest interpreter here that carries {@code _Py_DebugOffsets}, with its data copied as 3.16:
     * its own debug offsets, read through the 3.16 map, over the 3.16 table, walk its stacks right.
     */
    @Test
    void aLiveInterpreterReadThroughItsDataNamedAs316WalksItsOwnStacks() throws Exception {
        Interpreter python = newestWithDebugOffsets();
        assumeFalse(python == null, "no interpreter with _Py_DebugOffsets (3.13+) on this machine");
        Path scripts = TargetProcess.scripts("stacks_target.py", "unicode_target.py");
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
            JsonNode truth = target.truth(60);
            PythonProcess process = PythonProcess.attach(target.pid());
            String source = process.version().majorMinor();
            LayoutData data = addVersion(source, "3.16");
            PythonVersion v = V316.withFreeThreaded(process.version().freeThreaded());
            long runtime = process.binary().symbolAddress("_PyRuntime");
            Layout layout = PythonProcess.layoutFor(data, v, process.memory(), runtime, true);
            assertTrue(layout.toString().contains("3.16"), layout.toString());

            PyObjects objects = new PyObjects(process.memory(), layout, v);
            CodeCache codes = new CodeCache(process.memory(), layout, objects, new ShortFilenames(root, root),
                    process.binary().symbolAddress("PyCode_Type"));
            GilReader gil = GilReader.create(process.memory(), layout, v, process.binary(), runtime,
                    process.interpreter());
            StackWalker walker = new StackWalker(process.memory(), layout, process.interpreter(), codes, gil);
            RawStacks snapshot = new RawStacks();
            walker.walk(snapshot);
            int compared = 0;
            for (JsonNode t : truth.get("threads")) {
                if (t.get("active").asBoolean()) {
                    continue; // a spinning thread's line moves on
                }
                RawThreadStack sample = sampleOf(snapshot, t.get("ident").asLong());
                assertNotNull(sample, "thread " + t.get("name").asText() + " not walked");
                JsonNode frames = t.get("frames");
                List<String> want = new ArrayList<>();
                frames.forEach(f -> want.add(f.get("name").asText() + ":" + f.get("line").asInt()));
                List<String> got = new ArrayList<>();
                for (int i = 0; i < sample.depth; i++) {
                    got.add(sample.codes[i].name() + ":" + sample.lines[i]);
                }
                assertEquals(want, got, "stack of " + t.get("name").asText());
                compared++;
            }
            assertTrue(compared >= 4, "only " + compared + " threads compared");
        }
    }

    private static Interpreter newestWithDebugOffsets() {
        List<String> withMaps = LayoutData.BUNDLED.debugOffsetVersions();
        return Interpreters.all().stream()
                .filter(i -> withMaps.contains(i.majorMinor().replace("t", "")))
                .max(Comparator.comparingInt(i -> Integer.parseInt(i.majorMinor().replace("t", "").split("\\.")[1])))
                .orElse(null);
    }

    private static RawThreadStack sampleOf(RawStacks snapshot, long ident) {
        for (int i = 0; i < snapshot.threadCount(); i++) {
            if (snapshot.thread(i).threadId == ident) {
                return snapshot.thread(i);
            }
        }
        return null;
    }

    /**
     * docs/layouts.md's steps for a new version, with copies of {@code from}'s files standing in for
     * what the probe writes for {@code to}: the tables, the debug-offset map, then the index.
     */
    private LayoutData addVersion(String from, String to) throws Exception {
        Path layouts = copyOfBundledLayouts();
        String[] mm = to.split("\\.");
        String hex = String.valueOf((Integer.parseInt(mm[0]) << 24) | (Integer.parseInt(mm[1]) << 16) | 0xF0);
        for (String flavour : List.of("", "t")) {
            Path table = layouts.resolve("python-" + from + flavour + ".properties");
            if (Files.exists(table)) {
                List<String> lines = new ArrayList<>();
                for (String line : Files.readAllLines(table)) {
                    lines.add(line.startsWith("const.PY_VERSION_HEX=") ? "const.PY_VERSION_HEX=" + hex
                            : line.replace("CPython " + from + ".", "CPython " + to + "."));
                }
                Files.write(layouts.resolve("python-" + to + flavour + ".properties"), lines);
            }
        }
        Files.copy(layouts.resolve("debug-offsets-" + from + ".properties"),
                layouts.resolve("debug-offsets-" + to + ".properties"));
        generateIndex(layouts);
        return LayoutData.load(new URLClassLoader(new URL[]{root.toUri().toURL()}, null));
    }

    private static void generateIndex(Path layouts) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", GEN_LAYOUTS.toString(), "--index-only", "--out", layouts.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gen-layouts --index-only did not finish");
        assertEquals(0, p.exitValue(), output);
    }

    private static Path bundledLayouts() throws URISyntaxException {
        URL index = LayoutData.class.getClassLoader().getResource("dev/pyspy/layouts/versions.properties");
        assertNotNull(index, "no bundled versions.properties");
        return Path.of(index.toURI()).getParent();
    }

    private Path copyOfBundledLayouts() throws IOException, URISyntaxException {
        Path layouts = root.resolve("dev/pyspy/layouts");
        Files.createDirectories(layouts);
        try (Stream<Path> files = Files.list(bundledLayouts())) {
            for (Path f : files.toList()) {
                Files.copy(f, layouts.resolve(f.getFileName()));
            }
        }
        return layouts;
    }
}
