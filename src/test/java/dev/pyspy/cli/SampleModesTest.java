package dev.pyspy.cli;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.pyspy.cli.RecordIntegrationTest.readCollapsed;
import static dev.pyspy.cli.RecordIntegrationTest.samplesContaining;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code --mode}: what a sample counts, against targets that know which of their threads run. */
class SampleModesTest {
    private static final String[] FOUR_THREADS = {"spin_forever (", "sleep_forever (", "select_forever (", "wait_on_lock ("};
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("modes_target.py", "gil_target.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    static List<Interpreter> freeThreaded() {
        return Interpreters.all().stream().filter(Interpreter::freeThreaded).toList();
    }

    private static Map<String, Long> record(TargetProcess target, String... extra) throws Exception {
        Path out = Files.createTempFile(scripts, "mode", ".txt");
        List<String> args = new java.util.ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "-d", "2", "-f", "raw",
                "-o", out.toString(), "-p", Integer.toString(target.pid())));
        args.addAll(List.of(extra));
        PyspyCli.Result r = PyspyCli.run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        return readCollapsed(out);
    }

    /**
     * One thread spins while three are blocked in the kernel (sleep, select, a lock): {@code cpu}
     * counts the spinning one (the kernel decides, not Python's idea of a waiting call), {@code wall}
     * counts all four alike.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void cpuCountsTheSpinningThreadAndWallCountsAllFourAlike(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("modes_target.py"))) {
            target.truth(30);
            Map<String, Long> cpu = record(target, "--mode", "cpu");
            long total = cpu.values().stream().mapToLong(Long::longValue).sum();
            long spinning = samplesContaining(cpu, "spin_forever (");
            assertTrue(total >= 100, "cpu samples: " + cpu);
            assertTrue(spinning >= 0.95 * total, "cpu samples in the spinning thread: " + spinning + " of " + total + " " + cpu);

            Map<String, Long> wall = record(target, "--mode", "wall");
            long all = wall.values().stream().mapToLong(Long::longValue).sum();
            for (String f : FOUR_THREADS) {
                double share = samplesContaining(wall, f) / (double) all;
                assertTrue(Math.abs(share - 0.25) <= 0.05, f + " has " + share + " of wall samples: " + wall);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("freeThreaded")
    void gilModeIsRefusedWhereThereIsNoGil(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gil_target.py"))) {
            target.truth(30);
            PyspyCli.Result r = PyspyCli.run("record", "--mode", "gil", "-d", "1", "-f", "raw", "-o",
                    scripts.resolve("nogil.txt").toString(), "-p", Integer.toString(target.pid()));
            assertEquals(6, r.exitCode(), r.toString());
            assertEquals(1, r.stderr().strip().lines().count(), r.toString());
            assertTrue(r.stderr().contains("--mode gil does not apply") && r.stderr().contains("no GIL"), r.toString());
            assertFalse(Files.exists(scripts.resolve("nogil.txt")), "no profile written");
            assertTrue(target.process().isAlive(), "the target runs on");
        }
    }

    /** As {@code --gil}: the spinning thread holds the GIL, the sleeping one never. */
    @Test
    void gilModeKeepsTheGilHolderOnly() throws Exception {
        Interpreter python = RecordIntegrationTest.newestPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("gil_target.py"))) {
            target.truth(30);
            Map<String, Long> stacks = record(target, "--mode", "gil");
            assertTrue(samplesContaining(stacks, "busy_loop (") >= 150, stacks.toString());
            assertEquals(0, samplesContaining(stacks, "sleeper ("), stacks.toString());
        }
    }

    /** Conflicting or unknown modes: one line on stderr and exit code 2, before anything is attached. */
    @Test
    void conflictingModeOptionsAreRefused() {
        String none = "999999999";
        String[][] cases = {
                {"record", "--mode", "cpu", "--idle", "-p", none},
                {"record", "--mode", "wall", "--gil", "-p", none},
                {"record", "--mode", "cpu", "-g", "-p", none},
                {"record", "--mode", "fast", "-p", none},
                {"record", "--mode", "-p", none},
                {"top", "--mode", "cpu", "-i", "-p", none},
                {"top", "--mode", "sometimes", "-p", none},
        };
        for (String[] args : cases) {
            PyspyCli.Result r = PyspyCli.runInProcess(args);
            String what = String.join(" ", args) + "\n" + r;
            assertEquals(2, r.exitCode(), what);
            assertEquals(1, r.stderr().strip().lines().count(), what);
            assertFalse(r.stderr().contains("Exception"), what);
        }
        // the redundant and py-spy's own combinations are accepted (and fail later: no such process)
        for (String[] args : new String[][]{{"record", "--mode", "wall", "-i", "-p", none},
                {"record", "--mode", "gil", "-g", "-i", "-p", none}, {"record", "-g", "-i", "-p", none}}) {
            PyspyCli.Result r = PyspyCli.runInProcess(args);
            assertEquals(3, r.exitCode(), String.join(" ", args) + "\n" + r);
        }
    }
}
