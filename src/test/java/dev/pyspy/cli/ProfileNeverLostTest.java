package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.ProfileFiles;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * However a recording ends, its profile is complete or, if pyspy dies outright, the file that was
 * there is left untouched: never a truncated file. An output that cannot be written is refused before
 * anything is attached or launched. (Ctrl-C and SIGTERM: {@link TargetNeverLeftStoppedTest}; the target
 * exiting: {@link RecordIntegrationTest#targetExitingMidRecordingGivesACompleteFile()} and
 * {@link TargetNeverLeftStoppedTest#targetExitingWhilePausedEndsTheRecordingWithACompleteProfile()}.)
 */
@Timeout(300)
@NeedsRoot
class ProfileNeverLostTest {
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("progress_target.py");
    }

    @Test
    void theDurationEndingWritesACompleteProfileInEveryFormat() throws Exception {
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("progress_target.py"), "4")) {
            target.truth(30);
            // all at once (a target can be paused by one tracer only, hence --nonblocking)
            Map<Path, java.util.concurrent.Future<PyspyCli.Result>> runs = new java.util.LinkedHashMap<>();
            var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
            try {
                for (String[] f : new String[][]{{"flamegraph", "svg"}, {"html", "html"}, {"raw", "txt"},
                        {"speedscope", "json"}, {"chrometrace", "json"}, {"pprof", "pprof"}}) {
                    Path out = scripts.resolve("duration-" + f[0] + "." + f[1]);
                    runs.put(out, pool.submit(() -> PyspyCli.run(120, "record", "--nonblocking", "-d", "1", "-r",
                            PyspyCli.RATE, "-f", f[0], "-o", out.toString(), "-p", Integer.toString(target.pid()))));
                }
                for (Map.Entry<Path, java.util.concurrent.Future<PyspyCli.Result>> e : runs.entrySet()) {
                    PyspyCli.Result r = e.getValue().get();
                    assertEquals(0, r.exitCode(), r.toString());
                    assertTrue(r.stderr().contains("duration reached"), r.stderr());
                    ProfileFiles.assertComplete(e.getKey());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void killedWhileWritingTheOutputLeavesThePreviousFileUntouched() throws Exception {
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("progress_target.py"), "16")) {
            target.truth(30);
            Path dir = Files.createTempDirectory(scripts, "atomic");
            Path out = dir.resolve("profile.svg");
            String previous = "<previous profile/>\n";
            Files.writeString(out, previous);
            // writing pauses 100 ms per 4 KiB (test-only), so the kill lands in the middle of it
            Process pyspy = PyspyCli.startInstrumented(List.of("slow-output-millis=100"),
                    dir.resolve("out.log"), dir.resolve("err.log"), "record", "-t", "-i", "-d", "1",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            Path temp = awaitPartialTempFile(dir, pyspy);
            pyspy.destroyForcibly();
            assertTrue(pyspy.waitFor(30, TimeUnit.SECONDS));
            assertEquals(previous, Files.readString(out), "the previous file is untouched");
            assertTrue(Files.size(temp) > 0, "the kill did land while writing");

            // the same recording, not killed, replaces it with a complete profile
            PyspyCli.Result r = PyspyCli.run("record", "-r", PyspyCli.RATE, "-t", "-i", "-d", "1", "-o", out.toString(),
                    "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            ProfileFiles.assertComplete(out);
            assertTrue(Files.readString(out).contains("worker-"), "the new profile replaced the old one");
        }
    }

    /** Waits for pyspy's hidden temporary output file to hold some bytes (it is writing). */
    private static Path awaitPartialTempFile(Path dir, Process pyspy) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertTrue(pyspy.isAlive(), "pyspy ended before writing slowly: " + Files.readString(dir.resolve("err.log")));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(".profile.svg.") && n.endsWith(".tmp") && sizeOrZero(p) > 0) {
                        return p;
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("pyspy never started writing");
    }

    /** A file's size, or 0 once it is gone (the temporary file renamed between listing and looking). */
    private static long sizeOrZero(Path p) throws IOException {
        try {
            return Files.size(p);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    @Test
    void anUnwritableOutputIsRefusedBeforeTheProgramIsLaunched() throws Exception {
        Path marker = scripts.resolve("launched-" + System.nanoTime());
        Path regularFile = Files.writeString(scripts.resolve("a-file"), "x");
        List<String> program = Interpreters.hostPython3().command("-c",
                "open('" + marker + "', 'w').close()");
        String[][] outputs = {
                {"-o", "/proc/pyspy-out.svg"},                           // a directory that takes no files
                {"-o", "/sys/kernel/pyspy-out.svg"},                     // read-only
                {"-o", regularFile.resolve("out.svg").toString()},       // "directory" is a file
                {"-o", scripts.toString()},                              // the output is a directory
                {"-o", "/nonexistent-pyspy-dir/out.svg"},                // no such directory
        };
        for (String[] o : outputs) {
            List<String> args = new ArrayList<>(List.of("record", o[0], o[1], "--"));
            args.addAll(program);
            assertRefused(PyspyCli.run(args.toArray(new String[0])), marker, String.join(" ", o));
        }
        // no -o: the default file goes to the current directory, which must take it
        List<String> cmd = new ArrayList<>(PyspyCli.command("record", "--"));
        cmd.addAll(program);
        Process p = new ProcessBuilder(cmd).directory(new java.io.File("/proc")).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertRefused(new PyspyCli.Result(p.exitValue(), "", output), marker, "current directory /proc");
        assertTrue(output.contains("-o FILE"), output);
    }

    private static void assertRefused(PyspyCli.Result r, Path marker, String what) {
        assertEquals(2, r.exitCode(), what + ": " + r);
        assertEquals(1, r.stderr().strip().lines().count(), what + ": one line: " + r.stderr());
        assertTrue(r.stderr().startsWith("pyspy: cannot write"), what + ": " + r.stderr());
        assertFalse(Files.exists(marker), what + ": the program was launched anyway");
    }

    @Test
    void aSigtermWhileWritingStillFinishesTheFile() throws Exception {
        try (TargetProcess target = TargetProcess.start(Interpreters.hostPython3(),
                scripts.resolve("progress_target.py"), "16")) {
            target.truth(30);
            Path dir = Files.createTempDirectory(scripts, "term-writing");
            Path out = dir.resolve("profile.svg");
            Process pyspy = PyspyCli.startInstrumented(List.of("slow-output-millis=100"),
                    dir.resolve("out.log"), dir.resolve("err.log"), "record", "-t", "-i", "-d", "1",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            awaitPartialTempFile(dir, pyspy);
            PyspyCli.signal(pyspy.pid(), "TERM");
            assertTrue(pyspy.waitFor(60, TimeUnit.SECONDS));
            ProfileFiles.assertComplete(out);
        }
    }
}
