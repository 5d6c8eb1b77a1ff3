package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.ExitCode;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code record}/{@code top --async-aware}: the target's busy asyncio task ({@code w-busy}, spinning
 * in {@code hold} under a chain of three coroutines; the target says when it spins) must be sampled
 * as that task, rooted at {@code <task w-busy>} above the task awaiting it (the {@code gatherer},
 * under its own root), as CPython 3.15's sampler shows it, in every output format.
 */
@NeedsRoot
class AsyncAwareSamplingTest {
    private static final String ROOT = "<task w-busy>";
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("asyncio_target.py", "asyncio_many_tasks.py", "asyncio_server_target.py", "stacks_target.py",
                "unicode_target.py");
    }

    static List<Interpreter> asyncioInterpreters() {
        return AsyncAwareDumpTest.asyncioInterpreters();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("asyncioInterpreters")
    void recordPutsTheBusyTasksSamplesUnderItsTaskRoot(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_target.py"))) {
            JsonNode truth = target.truth(60);
            String expected = awaiterChain(truth, "w-busy", false) + ROOT + ";level1 (asyncio_target.py:104);"
                    + "level2 (asyncio_target.py:100);level3 (asyncio_target.py:95);hold (asyncio_target.py:88)";
            assertTrue(expected.startsWith("<task gatherer>;gatherer (asyncio_target.py:"), expected);
            Path out = scripts.resolve("async-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "--async-aware", "-d", "2", "-r", PyspyCli.RATE, "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            long busy = 0;
            long rooted = 0;
            for (String line : Files.readAllLines(out)) {
                int space = line.lastIndexOf(' ');
                long count = Long.parseLong(line.substring(space + 1));
                String stack = line.substring(0, space);
                if (stack.endsWith(";hold (asyncio_target.py:88)")) {
                    busy += count;
                    if (stack.equals(expected)) {
                        rooted += count;
                    }
                }
            }
            assertTrue(busy > 0, "no sample of the busy task:\n" + Files.readString(out));
            assertTrue(rooted >= 0.9 * busy, rooted + " of " + busy + " samples as\n" + expected + "\nin\n"
                    + Files.readString(out));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("asyncioInterpreters")
    void asyncModeAllSamplesEveryTaskAwaitedByNoneAsItsChainAboveItsAwaiters(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_target.py"))) {
            JsonNode truth = target.truth(60);
            Path out = scripts.resolve("async-all-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "--async-aware", "--async-mode", "all", "--full-filenames",
                    "-d", "2", "-r", "50", "-f", "raw", "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            Map<String, Long> stacks = new HashMap<>();
            for (String line : Files.readAllLines(out)) {
                int space = line.lastIndexOf(' ');
                stacks.merge(line.substring(0, space), Long.parseLong(line.substring(space + 1)), Long::sum);
            }
            java.util.Set<String> awaiting = new java.util.HashSet<>();
            truth.get("tasks").forEach(t -> t.get("awaited_by").forEach(p -> awaiting.add(p.asText())));
            int leaves = 0;
            for (JsonNode t : truth.get("tasks")) {
                String name = t.get("name").asText();
                if (awaiting.contains(name)) {
                    continue; // a task awaited by others is in their stacks, not one of its own (3.15's sampler)
                }
                leaves++;
                if (t.get("state").asText().equals("running")) {
                    continue; // its innermost line is where it spins now: the test above checks it
                }
                String expected = awaiterChain(truth, name, true) + "<task " + name + ">;" + frames(t, true);
                assertTrue(stacks.getOrDefault(expected, 0L) > 0, "no sample of\n" + expected + "\nin\n"
                        + Files.readString(out));
            }
            assertTrue(awaiting.contains("gatherer") && awaiting.contains("awaiter") && leaves >= 7, awaiting.toString());
            assertEquals(leaves, stacks.keySet().stream().filter(k -> k.startsWith("<task ")).count(),
                    "one stack per task awaited by none:\n" + Files.readString(out));
        }
    }

    /**
     * What lies below the root of task {@code name}, root first: the task awaiting it under its own
     * root, and so on (the target has one awaiter per task), each as the truth's chain of its coroutines.
     */
    static String awaiterChain(JsonNode truth, String name, boolean fullFilenames) {
        JsonNode by = task(truth, name).get("awaited_by");
        if (by.isEmpty()) {
            return "";
        }
        String parent = by.get(0).asText();
        return awaiterChain(truth, parent, fullFilenames) + "<task " + parent + ">;"
                + frames(task(truth, parent), fullFilenames) + ";";
    }

    private static JsonNode task(JsonNode truth, String name) {
        for (JsonNode t : truth.get("tasks")) {
            if (t.get("name").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no task " + name + " in " + truth);
    }

    /** A task's frames from the truth, outermost first, as raw output names them. */
    private static String frames(JsonNode task, boolean fullFilenames) {
        List<String> frames = new ArrayList<>();
        task.get("frames").forEach(f -> {
            String file = f.get("filename").asText();
            frames.add(0, f.get("name").asText() + " (" + (fullFilenames ? file : Path.of(file).getFileName())
                    + ":" + f.get("line").asInt() + ")");
        });
        return String.join(";", frames);
    }

    /** A thousand tasks (read in batches, not one by one): each under its gathering task, as the target knows them. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("someAsyncioInterpreters")
    void asyncModeAllSamplesAThousandTasksEachUnderItsGatherer(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_many_tasks.py"), "1000")) {
            JsonNode truth = target.truth(120);
            Path out = scripts.resolve("async-many-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run(120, "record", "--async-aware", "--async-mode", "all", "--full-filenames",
                    "-d", "2", "-r", "20", "-f", "raw", "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            Map<String, Long> stacks = new HashMap<>();
            for (String line : Files.readAllLines(out)) {
                int space = line.lastIndexOf(' ');
                stacks.merge(line.substring(0, space), Long.parseLong(line.substring(space + 1)), Long::sum);
            }
            assertEquals(1000, truth.get("leaves").size());
            truth.get("leaves").fields().forEachRemaining(e -> {
                List<String> frames = new ArrayList<>();
                e.getValue().forEach(f -> frames.add(f.asText()));
                String expected = String.join(";", frames);
                assertTrue(stacks.getOrDefault(expected, 0L) > 0, "no sample of\n" + expected + "\nin " + stacks.size()
                        + " stacks, such as " + stacks.keySet().stream().limit(3).toList());
            });
        }
    }

    /** The oldest, a middle and the newest interpreter from 3.8: a 10 s recording each. */
    static List<Interpreter> someAsyncioInterpreters() {
        List<Interpreter> all = asyncioInterpreters();
        return all.isEmpty() ? all : List.copyOf(new java.util.LinkedHashSet<>(
                List.of(all.get(0), all.get(all.size() / 2), all.get(all.size() - 1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("someAsyncioInterpreters")
    void aStandardLibraryServerUnderLoadIsRecordedForTenSecondsAlmostWithoutErrors(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_server_target.py"))) {
            target.truth(60);
            Path out = scripts.resolve("server-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run(120, "record", "--async-aware", "-d", "10", "-r", PyspyCli.RATE, "-f",
                    "raw", "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            // A thread paused mid-update of its frame or task links gives a walk with no consistent
            // stack (counted as an error, never shown): rare, but a busy machine makes it happen.
            Matcher m = Pattern.compile("Errors: (\\d+) Passes: (\\d+)").matcher(r.stderr());
            assertTrue(m.find(), r.toString());
            long errors = Long.parseLong(m.group(1));
            long passes = Long.parseLong(m.group(2));
            assertTrue(passes > 0 && errors * 100 <= passes, errors + " errors in " + passes + " passes\n" + r);
            String profile = Files.readString(out);
            // every client task is awaited by main's gather: a chain cut for a read that failed is as rare
            long samples = 0;
            long cut = 0;
            for (String line : profile.lines().toList()) {
                long count = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
                samples += count;
                cut += line.startsWith("<awaiting task unreadable>;") ? count : 0;
            }
            assertTrue(cut * 100 <= samples, cut + " of " + samples + " samples with their awaiters cut\n" + r);
            assertTrue(profile.lines().anyMatch(l -> l.matches("<task main>;main \\(.*;<task client-\\d+>;client .*")),
                    "client tasks sampled, under the main task that gathers them:\n" + profile);
            assertTrue(target.process().isAlive(), "the server still runs");
        }
    }

    @Test
    void asyncModeNeedsAsyncAwareAndAKnownMode() throws Exception {
        for (List<String> args : List.of(List.of("--async-mode", "all"), List.of("--async-aware", "--async-mode", "some"))) {
            List<String> all = new ArrayList<>(List.of("record", "-d", "1", "-p", "1"));
            all.addAll(args);
            PyspyCli.Result r = PyspyCli.run(all.toArray(new String[0]));
            assertEquals(ExitCode.USAGE.code, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("--async-mode"), r.toString());
        }
    }

    @Test
    void everyOutputFormatWithStacksShowsTheTaskRoot() throws Exception {
        // not table and heatmap: they list functions and source lines, and a task root is neither
        Interpreter python = newest();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_target.py"))) {
            target.truth(60);
            for (String format : List.of("raw", "flamegraph", "html", "speedscope", "chrometrace", "gecko", "pprof")) {
                Path out = scripts.resolve("async-" + System.nanoTime() + "." + format);
                PyspyCli.Result r = PyspyCli.run("record", "--async-aware", "-d", "1", "-r", PyspyCli.RATE, "-f", format,
                        "-o", out.toString(), "-p", Integer.toString(target.pid()));
                assertEquals(0, r.exitCode(), format + ": " + r);
                String text = format.equals("pprof") ? gunzip(out) : Files.readString(out);
                assertTrue(text.contains(ROOT) || text.contains("&lt;task w-busy&gt;")
                        || text.contains("\\u003ctask w-busy\\u003e") || text.contains("\\u003Ctask w-busy\\u003E"),
                        format + " output lacks " + ROOT);
            }
        }
    }

    @Test
    void topShowsTheTaskRoot() throws Exception {
        Interpreter python = newest();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("asyncio_target.py"))) {
            target.truth(60);
            Path out = scripts.resolve("top-" + System.nanoTime() + ".out");
            Path err = scripts.resolve("top-" + System.nanoTime() + ".err");
            Process pyspy = PyspyCli.start(out, err, "top", "--async-aware", "--delay", "0.5", "-p",
                    Integer.toString(target.pid()));
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String stdout = "";
                while (!stdout.lines().anyMatch(l -> l.matches(" +\\d+\\.\\d+% +100\\.00% .*  " + ROOT))
                        && System.nanoTime() < deadline && pyspy.isAlive()) {
                    Thread.sleep(100);
                    stdout = Files.readString(out);
                }
                assertTrue(stdout.lines().anyMatch(l -> l.matches(" +\\d+\\.\\d+% +100\\.00% .*  " + ROOT)),
                        "a row for " + ROOT + " holding every sample:\n" + stdout + Files.readString(err));
            } finally {
                pyspy.destroy();
                pyspy.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void recordRefusesVersionsBefore38() throws Exception {
        List<Interpreter> old = Interpreters.all().stream().filter(p -> !AsyncAwareDumpTest.hasAsyncSupport(p)).toList();
        assumeTrue(!old.isEmpty(), "no Python older than 3.8 on this machine");
        Interpreter python = old.get(old.size() - 1);
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
            target.truth(60);
            Path out = scripts.resolve("refused-" + System.nanoTime() + ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "--async-aware", "-d", "1", "-f", "raw", "-o", out.toString(),
                    "-p", Integer.toString(target.pid()));
            assertEquals(ExitCode.UNSUPPORTED_VERSION.code, r.exitCode(), r.toString());
            List<String> err = r.stderr().lines().toList();
            assertEquals(1, err.size(), r.toString());
            assertTrue(err.get(0).contains("--async-aware cannot read the asyncio tasks of")
                    && err.get(0).contains("it reads CPython 3.8 to 3.15"), r.toString());
            char state = TargetProcess.state(target.pid());
            assertTrue(state != 'T' && state != 't', "the target was left stopped (" + state + ")");
        }
    }

    private static Interpreter newest() {
        List<Interpreter> all = asyncioInterpreters();
        assumeTrue(!all.isEmpty(), "no Python 3.8+ on this machine");
        return all.get(all.size() - 1);
    }

    private static String gunzip(Path file) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
