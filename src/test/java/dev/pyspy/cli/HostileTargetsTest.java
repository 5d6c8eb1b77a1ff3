package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.ProfileFiles;
import dev.pyspy.testing.Collapsed;
import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetHealth;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Programs that change under pyspy or are built to be hard to read (hostile_target.py): pyspy must
 * not hang, stay within bounded memory, count and report what it could not read, and never print a
 * Java stack trace or a frame that is not one.
 */
@Timeout(300)
@NeedsRoot
class HostileTargetsTest {
    private static final Pattern SUMMARY = Pattern.compile("Samples: (\\d+) Errors: (\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("hostile_target.py", "progress_target.py");
    }

    static Interpreter python() {
        return Interpreters.hostPython3();
    }

    /** Exit 0, no Java exception text; returns {samples, errors} of the summary line. */
    static long[] assertCleanRecording(PyspyCli.Result r) {
        assertEquals(0, r.exitCode(), r.toString());
        assertNoJavaTrace(r.stderr());
        Matcher m = SUMMARY.matcher(r.stderr());
        assertTrue(m.find(), "summary line: " + r.stderr());
        return new long[]{Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    static void assertNoJavaTrace(String stderr) {
        assertFalse(stderr.contains("Exception") || stderr.contains("\tat ") || stderr.contains("WARNING"),
                "no Java stack trace or warning: " + stderr);
    }

    @Test
    void threadsStartedAndEndedHundredsOfTimesASecond() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "churn", "500")) {
            target.truth(30);
            String pid = Integer.toString(target.pid());
            long startedBefore = churned(target);
            long t0 = System.nanoTime();
            Path out = scripts.resolve("churn.txt");
            long[] summary = assertCleanRecording(PyspyCli.run(120, "record", "-r", PyspyCli.RATE, "-d", "3", "-i",
                    "-t", "-f", "raw", "-o", out.toString(), "-p", pid));
            double perSecond = (churned(target) - startedBefore) / ((System.nanoTime() - t0) / 1e9);
            assertTrue(perSecond >= 100, "threads came and went " + perSecond + " times a second while recorded");
            assertTrue(summary[0] >= 100, "samples: " + summary[0]);
            assertTrue(summary[1] <= summary[0] / 10, "read errors are rare: " + summary[1] + " of " + summary[0]);
            assertTrue(Files.readString(out).contains("worker ("), "the long-lived threads were sampled");
            for (int i = 0; i < 3; i++) {
                PyspyCli.Result d = PyspyCli.run("dump", "-p", pid);
                assertEquals(0, d.exitCode(), d.toString());
                assertNoJavaTrace(d.stderr());
            }
            TargetHealth.assertEveryThreadProgresses(target.pid(), target.truthPath());
        }
    }

    /**
     * Threads renaming themselves in a tight loop, read under a CPU-heavy neighbour (two busy
     * processes per core, so that pyspy's reads and the renames interleave): every name recorded
     * must be one the program gave, never a half-written or freed one.
     */
    @Test
    void threadNamesChangingWhileReadAreNeverShownTorn() throws Exception {
        List<Process> hogs = new java.util.ArrayList<>();
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "renames")) {
            target.truth(30);
            for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
                hogs.add(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
            }
            long startedBefore = churned(target);
            Path out = scripts.resolve("renames.txt");
            assertCleanRecording(PyspyCli.run(120, "record", "-r", PyspyCli.RATE, "-d", "4", "-i", "-t", "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid())));
            assertTrue(churned(target) - startedBefore >= 8, "threads were started and renamed meanwhile");
            Pattern threadRoot = Pattern.compile("thread \\(\\d+\\)(?:: (.*))?");
            Pattern given = Pattern.compile("MainThread|spawner|worker-\\d|r-\\d+|([A-H])\\1{7,30}");
            java.util.Set<String> names = new java.util.TreeSet<>();
            for (String line : Files.readAllLines(out)) {
                Matcher m = threadRoot.matcher(line.substring(0, line.lastIndexOf(' ')).split(";")[0]);
                assertTrue(m.matches(), "a thread root: " + line);
                if (m.group(1) != null) {
                    names.add(m.group(1));
                }
            }
            assertTrue(names.stream().anyMatch(n -> n.startsWith("r-") || n.matches("[A-H]+")), "renamed threads seen: " + names);
            for (String name : names) {
                assertTrue(given.matcher(name).matches(), "a name the program never gave: '" + name + "' in " + names);
            }
        } finally {
            hogs.forEach(Process::destroyForcibly);
        }
    }

    private static long churned(TargetProcess target) throws Exception {
        Path progress = target.truthPath().resolveSibling(target.truthPath().getFileName() + ".progress");
        return JSON.readTree(progress.toFile()).get("status").get(0).asLong();
    }

    @Test
    void aProgramForkingAndExecingAllTheTime() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "forkexec")) {
            target.truth(30);
            String pid = Integer.toString(target.pid());
            assertCleanRecording(PyspyCli.run(120, "record", "-r", PyspyCli.RATE, "-d", "2", "-f", "raw",
                    "-o", scripts.resolve("forkexec.txt").toString(), "-p", pid));
            long[] s = assertCleanRecording(PyspyCli.run(120, "record", "-s", "-r", PyspyCli.RATE, "-d", "2", "-f",
                    "raw", "-o", scripts.resolve("forkexec-s.txt").toString(), "-p", pid));
            assertTrue(s[0] > 50, "samples with -s: " + s[0]);
            PyspyCli.Result d = PyspyCli.run("dump", "-p", pid);
            assertEquals(0, d.exitCode(), d.toString());
            TargetHealth.assertEveryThreadProgresses(target.pid(), target.truthPath());
            JsonNode status = JSON.readTree(target.truthPath().resolveSibling(
                    target.truthPath().getFileName() + ".progress").toFile()).get("status");
            assertTrue(status.get(0).asLong() > 100 && status.get(1).asLong() > 20, "it forked and exec'd: " + status);
        }
    }

    @Test
    void aProcessKilledWhileBeingReadEndsTheRecordingWithItsSamples() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("progress_target.py"), "32")) {
            target.truth(30);
            Path out = scripts.resolve("killed.txt");
            Path err = scripts.resolve("killed.err");
            Process pyspy = PyspyCli.start(scripts.resolve("killed.out"), err, "record", "-r", "1000", "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            PyspyCli.awaitSampling(pyspy, err);
            Thread.sleep(1000 + ThreadLocalRandom.current().nextInt(500));
            target.process().destroyForcibly(); // SIGKILL, most likely in the middle of a pause
            assertTrue(pyspy.waitFor(60, TimeUnit.SECONDS), "pyspy ended");
            String stderr = Files.readString(err);
            assertEquals(0, pyspy.exitValue(), stderr);
            assertTrue(stderr.contains("Stopped sampling because the process exited"), stderr);
            assertNoJavaTrace(stderr);
            assertFalse(Collapsed.read(out).isEmpty(), "the samples taken are written");
        }
    }

    @Test
    void aProcessKilledWhileItsStacksAreDumpedGivesOneLine() throws Exception {
        for (int round = 0; round < 3; round++) {
            try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("progress_target.py"), "32")) {
                target.truth(30);
                Process dump = PyspyCli.start(scripts.resolve("dk.out"), scripts.resolve("dk.err"),
                        "dump", "-p", Integer.toString(target.pid()));
                Thread.sleep(200 + ThreadLocalRandom.current().nextInt(1000));
                target.process().destroyForcibly();
                assertTrue(dump.waitFor(60, TimeUnit.SECONDS), "dump ended");
                String stderr = Files.readString(scripts.resolve("dk.err"));
                assertTrue(dump.exitValue() == 0 || dump.exitValue() == 3, "exit " + dump.exitValue() + ": " + stderr);
                assertTrue(stderr.strip().lines().count() <= 1, stderr);
                assertNoJavaTrace(stderr);
            }
        }
    }

    @Test
    void twoThousandThreadsAreReadInBoundedMemory() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "threads", "2000")) {
            JsonNode truth = target.truth(120);
            assertTrue(truth.get("threads").asInt() > 2000, truth.toString());
            String pid = Integer.toString(target.pid());
            // a small heap: thousands of threads must not need memory in proportion to anything but them
            List<String> smallHeap = List.of("-Xmx96m");
            PyspyCli.Result d = PyspyCli.run(smallHeap, Map.of(), 120, "dump", "--json", "-p", pid);
            assertEquals(0, d.exitCode(), d.toString());
            long parked = 0;
            for (JsonNode t : JSON.readTree(d.stdout())) {
                parked += t.path("thread_name").asText("").startsWith("parked-") ? 1 : 0;
            }
            assertEquals(2000, parked, "every parked thread dumped");
            Path out = scripts.resolve("threads.txt");
            long[] s = assertCleanRecording(PyspyCli.run(smallHeap, Map.of(), 120, "record", "-r", PyspyCli.RATE,
                    "-i", "-t", "-d", "3", "-f", "raw", "-o", out.toString(), "-p", pid));
            assertTrue(s[0] >= 3, "samples: " + s[0]);
            long threadsSeen = Collapsed.read(out).keySet().stream()
                    .filter(k -> k.contains("): parked-")).count();
            assertEquals(2000, threadsSeen, "every parked thread recorded");
        }
    }

    @Test
    void stacksTenThousandFramesDeepAreReadWhole() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "deep", "10000")) {
            target.truth(60);
            String pid = Integer.toString(target.pid());
            PyspyCli.Result d = PyspyCli.run(120, "dump", "--json", "-p", pid);
            assertEquals(0, d.exitCode(), d.toString());
            JsonNode deep = null;
            for (JsonNode t : JSON.readTree(d.stdout())) {
                if ("deep".equals(t.path("thread_name").asText())) {
                    deep = t;
                }
            }
            assertTrue(deep != null, d.stdout());
            JsonNode frames = deep.get("frames");
            long recursion = 0;
            for (JsonNode f : frames) {
                recursion += f.get("name").asText().equals("deep_recursion") ? 1 : 0;
            }
            assertEquals(10000, recursion, "every level of the recursion");
            assertTrue(frames.get(frames.size() - 1).get("name").asText().endsWith("_bootstrap"),
                    "down to the thread's first frame: " + frames.get(frames.size() - 1));
            Path out = scripts.resolve("deep.txt");
            assertCleanRecording(PyspyCli.run(120, "record", "-r", PyspyCli.RATE, "-i", "-d", "2", "-f", "raw", "-o",
                    out.toString(), "-p", pid));
            int deepest = 0;
            for (String stack : Collapsed.read(out).keySet()) {
                deepest = Math.max(deepest, stack.split(";").length);
            }
            assertTrue(deepest > 10000, "recorded depth " + deepest);
        }
    }

    @Test
    void giganticAndNonUtf8NamesArePrintedSafely() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "names")) {
            target.truth(30);
            String pid = Integer.toString(target.pid());
            PyspyCli.Result text = PyspyCli.run("dump", "-p", pid);
            assertEquals(0, text.exitCode(), text.toString());
            assertNoJavaTrace(text.stderr());
            for (String line : text.stdout().lines().toList()) {
                assertTrue(line.isEmpty() || line.startsWith("Thread ") || line.startsWith("    ")
                        || line.startsWith("Process ") || line.startsWith("Python "), "a line that is not a frame: " + line);
                assertTrue(line.codePoints().noneMatch(c -> c < 0x20 || c == 0xfffd || (c >= 0xd800 && c <= 0xdfff)),
                        "control or replacement characters in: " + line.substring(0, Math.min(200, line.length())));
            }
            String out = text.stdout();
            assertTrue(out.contains("    bad_\\xff\\xfe_name (bad_\\xc3.py:3)"), "undecodable bytes shown as \\xNN");
            assertTrue(out.contains("    ctl_\\x00_\\x01_\\x7f_\\t_\\n_name (ctl_\\n_file.py:3)"), "control characters escaped");
            assertTrue(out.contains("    astral_\uD83D\uDE00_name (astral_\uD83D\uDE00.py:3)"), "valid Unicode kept");
            assertTrue(out.contains("    mk_<svg>&amp;\"'`_name (<script>alert(1)</script>.py:3)"), "markup kept as text");
            assertTrue(out.contains("    " + "h".repeat(4096) + "… (huge_name.py:3)"), "a 1 MiB name cut at 4096 characters");
            assertTrue(out.contains("    bidi_\\u202e_\\u2066_\\u200b_\\u2028_name (bidi_\\u2029_\\u061c.py:3)"),
                    "bidirectional and format characters escaped");
            assertTrue(out.codePoints().noneMatch(HostileTargetsTest::invisible), "no raw format characters");

            PyspyCli.Result json = PyspyCli.run("dump", "--json", "-p", pid);
            assertEquals(0, json.exitCode(), json.toString());
            boolean found = false;
            for (JsonNode t : JSON.readTree(json.stdout())) {
                for (JsonNode f : t.get("frames")) {
                    found |= f.get("name").asText().equals("bad_\\xff\\xfe_name")
                            && f.get("filename").asText().equals("/tmp/bad_\\xff\\xfe_dir/bad_\\xc3.py");
                }
            }
            assertTrue(found, "JSON names and files escaped the same way");

            for (String[] f : new String[][]{{"flamegraph", "svg"}, {"html", "html"}, {"raw", "txt"},
                    {"speedscope", "json"}, {"chrometrace", "json"}, {"pprof", "pprof"}}) {
                Path file = scripts.resolve("names-" + f[0] + "." + f[1]);
                assertCleanRecording(PyspyCli.run(120, "record", "-r", PyspyCli.RATE, "-i", "-t", "-d", "1", "-f", f[0],
                        "-o", file.toString(), "-p", pid));
                ProfileFiles.assertComplete(file);
                if (f[0].equals("raw")) {
                    String raw = Files.readString(file);
                    assertTrue(raw.contains(";bad_\\xff\\xfe_name (bad_\\xc3.py:3);"), "raw names escaped");
                    assertTrue(raw.contains(";semi\u037ecolon_name (semi\u037ecolon.py:3);"), "';' kept inside its frame");
                    Path svg = scripts.resolve("names-rendered.svg");
                    assertEquals(0, PyspyCli.run("render", file.toString(), "-o", svg.toString()).exitCode());
                    String rendered = Files.readString(svg);
                    assertTrue(rendered.contains("semi;colon_name (semi;colon.py:3) (") && !rendered.contains("\u037e"),
                            "';' read back by render");
                }
            }
            TargetHealth.assertEveryThreadProgresses(target.pid(), target.truthPath());
        }
    }

    @Test
    void topShowsInvisibleCharactersEscaped() throws Exception {
        try (TargetProcess target = TargetProcess.start(python(), scripts.resolve("hostile_target.py"), "names")) {
            target.truth(30);
            Path out = scripts.resolve("top-names-" + System.nanoTime() + ".out");
            Path err = scripts.resolve("top-names-" + System.nanoTime() + ".err");
            Process pyspy = PyspyCli.start(out, err, "top", "-i", "--delay", "0.5", "-p", Integer.toString(target.pid()));
            try {
                String expected = "bidi_\\u202e_\\u2066_\\u200b_\\u2028_name (bidi_\\u2029_\\u061c.py)";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String stdout = "";
                while (!stdout.contains(expected) && System.nanoTime() < deadline && pyspy.isAlive()) {
                    Thread.sleep(100);
                    stdout = Files.readString(out);
                }
                assertTrue(stdout.contains(expected), stdout + Files.readString(err));
                assertTrue(stdout.codePoints().noneMatch(HostileTargetsTest::invisible), "no raw format characters");
            } finally {
                pyspy.destroy();
                pyspy.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Characters a terminal shows as nothing, or that turn the text after them around. */
    private static boolean invisible(int c) {
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
