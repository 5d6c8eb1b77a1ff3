package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code pyspy top} end to end: the live view driven through tmux (keys in, screen out), and the
 * plain snapshots it prints when stdout is not a terminal.
 */
@NeedsRoot
class TopIntegrationTest {
    private static final String PROMPT = "READY> ";
    private static final Pattern TABLE_ROW = Pattern.compile("^\\s*\\d+\\.\\d\\d%\\s+\\d+\\.\\d\\d%\\s+\\S+s\\s+\\S+s\\s+(.*)$");
    private static final AtomicInteger SESSIONS = new AtomicInteger();
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("spin_target.py", "top_target.py", "exit_target.py");
    }

    static void assumeTmux() {
        boolean found;
        try {
            Process p = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            found = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            found = false;
        }
        assumeTrue(found, "tmux is not installed: the live view of pyspy top is not tested (apt-get install tmux)");
    }

    // ---- the live view, in tmux ----

    @Test
    void liveViewShowsTheBusyFunctionFollowsKeysAndQuitsLeavingTheTargetRunning() throws Exception {
        assumeTmux();
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("top_target.py"));
             Tmux tmux = new Tmux()) {
            target.truth(30);
            tmux.run(scripts, "top", "-p", Integer.toString(target.pid()));

            // the header and the busy function (how soon is scripts/bench's business: a wall-clock
            // limit here fails whenever the machine is busy)
            String screen = tmux.waitFor(s -> s.contains("pyspy top - PID " + target.pid()) && s.contains("Python 3.")
                    && s.contains("Samples: ") && s.contains("GIL: ") && s.contains("Active: ") && s.contains("Threads: ")
                    && firstRow(s).startsWith("leaf_a (top_target.py)"), 60000, "header and busy function");
            assertTrue(screen.contains("%Own   %Total   OwnTime  TotalTime  Function (filename)"), screen);

            // 2: sort by %Total: the callers (on every stack) come before the leaves
            tmux.keys("2");
            screen = tmux.waitFor(s -> s.contains("Sorted by %Total") && List.of("<module>", "main", "outer")
                    .contains(firstRow(s).split(" ")[0]), 5000, "rows sorted by %Total");

            // L: one row per line, with line numbers
            tmux.keys("L");
            screen = tmux.waitFor(s -> s.contains("one row per line")
                    && Pattern.compile("leaf_a \\(top_target\\.py:\\d+\\)").matcher(s).find()
                    && s.contains("Function (filename:line)"), 5000, "rows per line");

            // ?: help, any key back
            tmux.keys("?");
            tmux.waitFor(s -> s.contains("reset the statistics"), 5000, "help");
            tmux.keys("x");
            tmux.waitFor(s -> !s.contains("reset the statistics") && s.contains("Function (filename:line)"), 5000,
                    "back from help");

            // 1 and R: sorted by own again; after a reset the counters start again
            tmux.keys("1");
            tmux.waitFor(s -> s.contains("Sorted by %Own") && firstRow(s).startsWith("leaf_a (top_target.py:"), 5000,
                    "sorted by %Own");
            long before = samples(tmux.capture());
            tmux.keys("R");
            tmux.waitFor(s -> samples(s) >= 0 && samples(s) < before, 5000, "statistics reset (from " + before + ")");

            // a smaller window: the view follows it
            tmux.resize(90, 20);
            tmux.waitFor(s -> s.lines().count() <= 20 && s.lines().allMatch(l -> l.length() <= 90)
                    && s.lines().filter(l -> TABLE_ROW.matcher(l).matches()).count() >= 3
                    && s.contains("%Own   %Total"), 5000, "the view in 90x20");

            // q: back to the shell with exit status 0, terminal modes restored
            tmux.keys("q");
            screen = tmux.waitFor(s -> s.contains("EXIT=0") && s.strip().endsWith(PROMPT.strip()), 15000, "exit status 0");
            tmux.assertTerminalRestored();
            assertTrue(target.process().isAlive(), "target still running after q");
            assertNotStopped(target.pid());
        }
    }

    @Test
    void ctrlCQuitsAndRestoresTheTerminal() throws Exception {
        assumeTmux();
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"));
             Tmux tmux = new Tmux()) {
            target.truth(30);
            tmux.run(scripts, "top", "--delay", "0.5", "-p", Integer.toString(target.pid()));
            tmux.waitFor(s -> firstRow(s).startsWith("busy_loop (spin_target.py)"), 30000, "busy function");
            tmux.keys("C-c");
            tmux.waitFor(s -> s.contains("EXIT=0") && s.strip().endsWith(PROMPT.strip()), 15000, "exit status 0");
            tmux.assertTerminalRestored();
            assertTrue(target.process().isAlive(), "target still running after Ctrl-C");
            assertNotStopped(target.pid());
        }
    }

    @Test
    void whenALaunchedProgramExitsTheViewEndsWithItsExitCode() throws Exception {
        assumeTmux();
        Interpreter python = Interpreters.hostPython3();
        Path program = scripts.resolve("exit_target.py");
        try (Tmux tmux = new Tmux()) {
            List<String> args = new ArrayList<>(List.of("top", "--"));
            args.addAll(python.command(program.toString()));
            tmux.run(scripts, args.toArray(new String[0]));
            tmux.waitFor(s -> firstRow(s).startsWith("spin_then_exit (exit_target.py)"), 30000, "busy function");
            String screen = tmux.waitFor(s -> s.contains("EXIT=3"), 30000, "the program's exit code");
            assertTrue(screen.contains("Stopped sampling because the process exited"), screen);
            assertTrue(screen.contains("spin_then_exit (exit_target.py)"), "the last table is left behind:\n" + screen);
            tmux.assertTerminalRestored();
        }
    }

    /** TERM and HUP end the view as 'q' does (once, left to the JVM's shutdown, pyspy hung in a read). */
    @ParameterizedTest
    @ValueSource(strings = {"TERM", "HUP"})
    void aTerminatingSignalEndsTheViewAndRestoresTheTerminal(String signal) throws Exception {
        assumeTmux();
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"));
             Tmux tmux = new Tmux()) {
            target.truth(30);
            tmux.run(scripts, "top", "-p", Integer.toString(target.pid()));
            tmux.waitFor(s -> firstRow(s).startsWith("busy_loop (spin_target.py)"), 30000, "busy function");
            long pyspy = tmux.pyspyPid();
            PyspyCli.signal(pyspy, signal);
            String screen = tmux.waitFor(s -> s.contains("EXIT=") && s.strip().endsWith(PROMPT.strip()), 15000,
                    "pyspy ended");
            assertTrue(screen.contains("EXIT=0"), screen);
            tmux.assertTerminalRestored();
            assertTrue(target.process().isAlive(), "target still running after SIG" + signal + " to pyspy");
            assertNotStopped(target.pid());
        }
    }

    // ---- plain snapshots ----

    @Test
    void withoutATerminalItPrintsSnapshotsUntilTheProgramExits() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            Path out = scripts.resolve("plain-" + System.nanoTime() + ".out");
            Path err = scripts.resolve("plain-" + System.nanoTime() + ".err");
            Process pyspy = PyspyCli.start(out, err, "top", "--delay", "0.5", "-p", Integer.toString(target.pid()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String stdout = "";
            while (busyRows(stdout).size() < 2 && System.nanoTime() < deadline && pyspy.isAlive()) {
                Thread.sleep(100);
                stdout = Files.readString(out);
            }
            assertTrue(busyRows(stdout).size() >= 2, "the busy function in several snapshots:\n" + stdout
                    + Files.readString(err));
            target.process().destroy(); // the program exits: pyspy prints a last snapshot and ends
            assertTrue(pyspy.waitFor(30, TimeUnit.SECONDS), "pyspy ended with the program");
            stdout = Files.readString(out);
            assertEquals(0, pyspy.exitValue(), stdout + Files.readString(err));
            long headers = stdout.lines().filter(l -> l.startsWith("pyspy top - PID " + target.pid())).count();
            assertTrue(headers >= 3, "snapshots, then a last one:\n" + stdout);
            assertFalse(stdout.contains("\u001b"), "no escape sequences in plain output");
            assertTrue(Files.readString(err).contains("Stopped sampling because the process exited"),
                    Files.readString(err));
        }
    }

    private static List<String> busyRows(String text) {
        return text.lines().filter(l -> TABLE_ROW.matcher(l).matches() && l.endsWith("busy_loop (spin_target.py)"))
                .toList();
    }

    @Test
    void aClosedPipeEndsItQuietlyAndLeavesTheTargetRunning() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("spin_target.py"))) {
            target.truth(30);
            String command = PyspyCli.command("top", "--delay", "0.3", "-p", Integer.toString(target.pid())).stream()
                    .map(TopIntegrationTest::shellQuote).collect(Collectors.joining(" "));
            // ten snapshots or so: on a busy machine the first ones can come before the first sample
            Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; " + command + " | head -n 60")
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pyspy top | head ended");
            assertEquals(0, p.exitValue(), out);
            assertEquals(60, out.lines().count(), out);
            assertTrue(out.startsWith("pyspy top - PID " + target.pid()), out);
            assertTrue(out.contains("busy_loop (spin_target.py)"), out);
            assertTrue(target.process().isAlive(), "target still running");
            assertNotStopped(target.pid());
        }
    }

    @Test
    void launchModeShowsFullFilenamesWhenAsked() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        List<String> args = new ArrayList<>(List.of("top", "--delay", "0.5", "--full-filenames", "--"));
        args.addAll(python.command(scripts.resolve("top_target.py").toString(),
                scripts.resolve("truth-launch.json").toString(), "2"));
        PyspyCli.Result r = PyspyCli.run(60, args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        String full = scripts.resolve("top_target.py").toString();
        assertTrue(r.stdout().contains("leaf_a (" + full + ")"), "full file names:\n" + r);
    }

    @Test
    void invalidOptionsAreRejectedWithExitCode2() throws Exception {
        String[][] cases = {
                {"top", "-p", "1", "--delay", "0"},
                {"top", "-p", "1", "--delay", "-1"},
                {"top", "-p", "1", "-r", "0"},
                {"top"},
                {"top", "-p", "1", "--", "python3"},
        };
        for (String[] args : cases) {
            PyspyCli.Result r = PyspyCli.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + "\n" + r);
            assertEquals(1, r.stderr().strip().lines().count(), "one line on stderr: " + r.stderr());
        }
    }

    // ---- helpers ----

    /** The function column of the first table row on the screen, or "". */
    static String firstRow(String screen) {
        boolean inTable = false;
        for (String line : screen.lines().toList()) {
            if (line.contains("%Own") && line.contains("TotalTime")) {
                inTable = true;
                continue;
            }
            if (inTable) {
                var m = TABLE_ROW.matcher(line);
                return m.matches() ? m.group(1).strip() : "";
            }
        }
        return "";
    }

    static long samples(String screen) {
        var m = Pattern.compile("Samples: (\\d+)").matcher(screen);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void assertNotStopped(int pid) throws Exception {
        for (int i = 0; i < 5; i++) {
            char state = TargetProcess.state(pid);
            assertFalse(state == 't' || state == 'T', "target left stopped (state " + state + ")");
            Thread.sleep(100);
        }
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** A tmux server of its own (private socket), 200x50, running a plain bash with a known prompt. */
    static final class Tmux implements AutoCloseable {
        private final String socket = "pyspy-top-test-" + ProcessHandle.current().pid() + "-" + SESSIONS.incrementAndGet();
        private final Path pidFile;

        Tmux() throws Exception {
            pidFile = Files.createTempFile("pyspy-top", ".pid");
            tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "200", "-y", "50",
                    "env PS1='" + PROMPT + "' HISTFILE=/dev/null bash --norc --noprofile");
            waitFor(s -> s.contains(PROMPT.strip()), 10000, "shell prompt");
        }

        /** Runs pyspy with these arguments in the shell, then prints its exit status as EXIT=n. */
        void run(Path dir, String... args) throws Exception {
            Path script = Files.createTempFile(dir, "run-top", ".sh");
            String command = PyspyCli.command(args).stream().map(TopIntegrationTest::shellQuote)
                    .collect(Collectors.joining(" "));
            Files.writeString(script, "echo $$ > " + shellQuote(pidFile.toString()) + "\nexec " + command + "\n");
            text("clear; bash " + script + "; echo EXIT=$?");
            tmux("send-keys", "-t", "t", "Enter");
        }

        /** The pid of the running pyspy (the script execs it). */
        long pyspyPid() throws Exception {
            return Long.parseLong(Files.readString(pidFile).strip());
        }

        void resize(int columns, int rows) throws Exception {
            tmux("resize-window", "-t", "t", "-x", Integer.toString(columns), "-y", Integer.toString(rows));
        }

        void keys(String... keys) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("send-keys", "-t", "t"));
            cmd.addAll(List.of(keys));
            tmux(cmd.toArray(new String[0]));
        }

        void text(String text) throws Exception {
            tmux("send-keys", "-t", "t", "-l", text);
        }

        String capture() throws Exception {
            return tmux("capture-pane", "-p", "-t", "t");
        }

        String waitFor(Predicate<String> ready, long millis, String what) throws Exception {
            long deadline = System.nanoTime() + millis * 1_000_000;
            String screen = "";
            while (System.nanoTime() < deadline) {
                screen = capture();
                if (ready.test(screen)) {
                    return screen;
                }
                Thread.sleep(100);
            }
            return fail("no " + what + " on the screen within " + millis + " ms:\n" + screen);
        }

        /** The shell's terminal is back in cooked mode with echo (pyspy restored what it changed). */
        void assertTerminalRestored() throws Exception {
            text("stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo|isig)$' | tr '\\n' ' '; echo STTY");
            tmux("send-keys", "-t", "t", "Enter");
            String screen = waitFor(s -> Pattern.compile("(?m)^[-a-z ]+STTY$").matcher(s).find(), 10000, "stty output");
            var m = Pattern.compile("(?m)^([-a-z ]+)STTY$").matcher(screen);
            assertTrue(m.find());
            String modes = m.group(1);
            assertTrue(modes.contains("icanon") && !modes.contains("-icanon"), "canonical mode back: " + modes);
            assertTrue(modes.matches(".*(^| )echo( |$).*"), "echo back: " + modes);
            assertTrue(modes.contains("isig") && !modes.contains("-isig"), "signals back: " + modes);
            // and the alternate screen is gone: the prompt is on the normal screen
            assertEquals("0", tmux("display-message", "-p", "-t", "t", "#{alternate_on}").strip(),
                    "alternate screen left");
        }

        private String tmux(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            try {
                tmux("kill-server");
            } catch (IOException e) {
                // the server ended with its last session
            }
            Files.deleteIfExists(pidFile);
        }
    }
}
