package dev.pyspy.cli;

import static dev.pyspy.testing.Collapsed.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code record --opcodes}: frames labelled down to the instruction, against a target whose time goes
 * to one dictionary lookup and which reads what that lookup is from its own bytecode.
 */
@NeedsRoot
class OpcodesTest {
    /** {@code function (file:line[:column]) OPCODE[ [FAMILY]]}. */
    private static final Pattern INSTRUCTION = Pattern.compile(
            "^(\\S+) \\(([^:()]+):(\\d+)(?::(\\d+))?\\) ([A-Z0-9_]+)(?: \\[([A-Z0-9_]+)\\])?$");
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("opcodes_target.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    /**
     * The hottest innermost frame is the lookup: its line, its column (3.11+) and the opcode the
     * interpreter runs there, specialised or not, with its family in brackets when specialised, as
     * the target's own {@code dis} reads them; and it holds most of the loop's samples. Its caller is
     * labelled by the call instruction it made.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void theHottestInstructionIsTheLookupTheTargetsOwnBytecodeNames(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("opcodes_target.py"))) {
            JsonNode truth = target.truth(60);
            Path out = Files.createTempFile(scripts, "opcodes", ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "--opcodes", "-r", PyspyCli.RATE, "-d", "2", "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            Map<String, Long> leaves = new HashMap<>();
            read(out).forEach((stack, count) -> leaves.merge(stack.substring(stack.lastIndexOf(';') + 1), count, Long::sum));
            String what = truth + "\n" + leaves + "\n" + r;
            String function = truth.get("function").asText();
            Map.Entry<String, Long> hottest = leaves.entrySet().stream().filter(e -> e.getKey().startsWith(function + " ("))
                    .max(Map.Entry.comparingByValue()).orElse(null);
            assertNotNull(hottest, "no sample in " + function + ": " + what);
            long inFunction = leaves.entrySet().stream().filter(e -> e.getKey().startsWith(function + " ("))
                    .mapToLong(Map.Entry::getValue).sum();
            assertTrue(inFunction >= 50, "too few samples to tell: " + what);
            assertTrue(hottest.getValue() >= 0.8 * inFunction, "the lookup is not where the loop's time goes: " + what);

            Matcher m = INSTRUCTION.matcher(hottest.getKey());
            assertTrue(m.matches(), "not an instruction label: " + hottest.getKey() + "\n" + what);
            assertEquals("opcodes_target.py", m.group(2), what);
            assertEquals(truth.get("line").asInt(), Integer.parseInt(m.group(3)), "line: " + what);
            int column = truth.get("column").asInt();
            assertEquals(column == 0 ? null : Integer.toString(column), m.group(4), "column: " + what);
            String opcode = truth.get("opcode").asText();
            String family = truth.get("family").asText();
            assertEquals(opcode, m.group(5), "opcode: " + what);
            assertEquals(opcode.equals(family) ? null : family, m.group(6), "family: " + what);

            // the caller rests on its call (3.11-3.12: on the call's last cache unit, which is no opcode)
            JsonNode caller = truth.get("caller");
            String callerFrame = read(out).keySet().stream().filter(s -> s.endsWith(";" + hottest.getKey()))
                    .map(s -> s.substring(0, s.lastIndexOf(';'))).map(s -> s.substring(s.lastIndexOf(';') + 1))
                    .findFirst().orElseThrow();
            Matcher c = INSTRUCTION.matcher(callerFrame);
            assertTrue(c.matches(), "not an instruction label: " + callerFrame + "\n" + what);
            assertEquals(caller.get("function").asText(), c.group(1), what);
            assertEquals(caller.get("line").asInt(), Integer.parseInt(c.group(3)), "caller's line: " + what);
            assertEquals(caller.get("family").asText(), c.group(6) != null ? c.group(6) : c.group(5),
                    "caller's call: " + callerFrame + "\n" + what);
        }
    }

    /** Without {@code --opcodes} nothing changes: frames are labelled by line, with no column or opcode. */
    @Test
    void withoutTheOptionFramesAreLabelledByLine() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("opcodes_target.py"))) {
            JsonNode truth = target.truth(60);
            Path out = Files.createTempFile(scripts, "lines", ".txt");
            PyspyCli.Result r = PyspyCli.run("record", "-r", PyspyCli.RATE, "-d", "1", "-f", "raw",
                    "-o", out.toString(), "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            Map<String, Long> stacks = read(out);
            String lookup = truth.get("function").asText() + " (opcodes_target.py:" + truth.get("line").asInt() + ")";
            assertTrue(stacks.keySet().stream().anyMatch(s -> s.endsWith(";" + lookup)), stacks + "\n" + r);
            assertFalse(stacks.keySet().stream().anyMatch(s -> s.contains("BINARY_")), stacks.toString());
        }
    }

    /** {@code BINARY_SUBSCR_DICT [BINARY_SUBSCR]}, or the opcode alone when it is its own family. */
    private static String opcodeLabel(String opcode, String family) {
        return opcode.equals(family) ? opcode : opcode + " [" + family + "]";
    }

    /** {@code (file:line[:column])} of the target's truth, as a label shows it. */
    private static String where(JsonNode truth) {
        int column = truth.get("column").asInt();
        return "(opcodes_target.py:" + truth.get("line").asInt() + (column == 0 ? "" : ":" + column) + ")";
    }

    /**
     * {@code dump --opcodes --json}: every frame carries its opcode and family, the caller its call
     * instruction in every dump, and the spinning frame, once a dump lands on the lookup (most of the
     * loop's time: a few dumps at most), the opcode, family, line and column the target's own bytecode
     * names. The text dump labels frames as {@code record --opcodes} does.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void dumpShowsTheLookupsOpcodeOnEveryInterpreter(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("opcodes_target.py"))) {
            JsonNode truth = target.truth(60);
            String pid = Integer.toString(target.pid());
            String opcode = truth.get("opcode").asText();
            String family = truth.get("family").asText();
            JsonNode caller = truth.get("caller");
            StringBuilder seen = new StringBuilder(truth.toString());
            boolean onLookup = false;
            for (int attempt = 0; attempt < 20 && !onLookup; attempt++) {
                PyspyCli.Result r = PyspyCli.run("dump", "--opcodes", "--json", "-p", pid);
                assertEquals(0, r.exitCode(), r.toString());
                seen.append('\n').append(r.stdout());
                JsonNode frames = new ObjectMapper().readTree(r.stdout()).get(0).get("frames");
                JsonNode leaf = frames.get(0);
                assertEquals("lookup_loop", leaf.get("name").asText(), seen.toString());
                assertTrue(leaf.hasNonNull("opcode") && leaf.hasNonNull("opcode_family"), seen.toString());
                JsonNode call = frames.get(1);
                assertEquals(caller.get("function").asText(), call.get("name").asText(), seen.toString());
                assertEquals(caller.get("line").asInt(), call.get("line").asInt(), seen.toString());
                assertEquals(caller.get("family").asText(), call.get("opcode_family").asText(), "caller's call: " + seen);
                if (leaf.get("opcode").asText().equals(opcode)) {
                    onLookup = true;
                    assertEquals(family, leaf.get("opcode_family").asText(), seen.toString());
                    assertEquals(truth.get("line").asInt(), leaf.get("line").asInt(), seen.toString());
                    int column = truth.get("column").asInt();
                    assertEquals(column, leaf.has("col") ? leaf.get("col").asInt() : 0, "column: " + seen);
                }
            }
            assertTrue(onLookup, "no dump landed on the lookup: " + seen);

            String lookup = "    lookup_loop " + where(truth) + " " + opcodeLabel(opcode, family);
            boolean shown = false;
            for (int attempt = 0; attempt < 20 && !shown; attempt++) {
                PyspyCli.Result r = PyspyCli.run("dump", "--opcodes", "-p", pid);
                assertEquals(0, r.exitCode(), r.toString());
                List<String> lines = r.stdout().lines().toList();
                int leaf = lines.indexOf(lines.stream().filter(l -> l.startsWith("    lookup_loop (")).findFirst()
                        .orElseThrow(() -> new AssertionError(r.toString())));
                Matcher c = INSTRUCTION.matcher(lines.get(leaf + 1).strip());
                assertTrue(c.matches(), "the caller is labelled by its instruction: " + r);
                assertEquals(caller.get("family").asText(), c.group(6) != null ? c.group(6) : c.group(5), r.toString());
                shown = lines.get(leaf).equals(lookup);
            }
            assertTrue(shown, "no text dump showed " + lookup);
        }
    }

    /** Without {@code --opcodes}, dump's JSON is py-spy's: no opcode fields. */
    @Test
    void dumpWithoutTheOptionHasNoOpcodeFields() throws Exception {
        Interpreter python = Interpreters.hostPython3();
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("opcodes_target.py"))) {
            target.truth(60);
            PyspyCli.Result r = PyspyCli.run("dump", "--json", "-p", Integer.toString(target.pid()));
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stdout().contains("lookup_loop"), r.toString());
            assertFalse(r.stdout().contains("\"opcode\"") || r.stdout().contains("\"opcode_family\"")
                    || r.stdout().contains("\"col\""), r.toString());
        }
    }

    static List<Interpreter> topInterpreters() {
        // a version of each way of finding the instruction: f_lasti in co_code (2.7), the last cache
        // unit of a call (3.12), the instruction pointer (the newest)
        List<Interpreter> all = Interpreters.all().stream().filter(i -> !i.freeThreaded()).toList();
        return java.util.stream.Stream.of(
                all.stream().filter(i -> i.majorMinor().equals("2.7")).findFirst(),
                all.stream().filter(i -> i.majorMinor().equals("3.12")).findFirst(),
                all.stream().max(java.util.Comparator.comparingInt(Interpreter::version)))
                .flatMap(java.util.Optional::stream).distinct().toList();
    }

    /** A row of top's plain table: own %, total %, own time, total time, the label. */
    private static final Pattern TOP_ROW = Pattern.compile(
            "^\\s*\\d+\\.\\d\\d%\\s+\\d+\\.\\d\\d%\\s+([\\d.]+)s\\s+[\\d.]+s\\s+(.*)$");

    /**
     * {@code top --opcodes}: a function's rows are its instructions; the lookup's row has the most own
     * time of the function, labelled with the opcode the target's bytecode names; the caller's row is
     * its call; no row of the function is unlabelled.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("topInterpreters")
    void topRowsAreKeyedByInstruction(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("opcodes_target.py"))) {
            JsonNode truth = target.truth(60);
            String lookup = "lookup_loop (opcodes_target.py) "
                    + opcodeLabel(truth.get("opcode").asText(), truth.get("family").asText());
            Path out = Files.createTempFile(scripts, "top", ".out");
            Path err = Files.createTempFile(scripts, "top", ".err");
            Process pyspy = PyspyCli.start(out, err, "top", "--opcodes", "-r", PyspyCli.RATE, "--delay", "0.5",
                    "-p", Integer.toString(target.pid()));
            try {
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(90);
                Map<String, Double> rows = Map.of();
                while (System.nanoTime() < deadline && pyspy.isAlive()) {
                    rows = lastSnapshotRows(Files.readString(out));
                    double inLoop = rows.entrySet().stream().filter(e -> e.getKey().startsWith("lookup_loop ("))
                            .mapToDouble(Map.Entry::getValue).sum();
                    if (inLoop >= 0.2) { // 200 samples at 1000/s
                        break;
                    }
                    Thread.sleep(100);
                }
                String what = truth + "\n" + Files.readString(out) + Files.readString(err);
                Map.Entry<String, Double> hottest = rows.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("lookup_loop (")).max(Map.Entry.comparingByValue())
                        .orElseThrow(() -> new AssertionError("no row of lookup_loop: " + what));
                assertEquals(lookup, hottest.getKey(), what);
                assertFalse(rows.containsKey("lookup_loop (opcodes_target.py)"), "an unlabelled row: " + what);
                JsonNode caller = truth.get("caller");
                String callerRow = rows.keySet().stream().filter(k -> k.startsWith(caller.get("function").asText() + " ("))
                        .findFirst().orElseThrow(() -> new AssertionError("no row of the caller: " + what));
                Matcher c = Pattern.compile("^\\S+ \\(opcodes_target.py\\) ([A-Z0-9_]+)(?: \\[([A-Z0-9_]+)\\])?$")
                        .matcher(callerRow);
                assertTrue(c.matches(), callerRow + "\n" + what);
                assertEquals(caller.get("family").asText(), c.group(2) != null ? c.group(2) : c.group(1), what);
            } finally {
                pyspy.destroy();
                pyspy.waitFor();
            }
        }
    }

    /** The rows of the last whole snapshot of top's plain output: label to own time in seconds. */
    private static Map<String, Double> lastSnapshotRows(String text) {
        String[] snapshots = text.split("(?m)^pyspy top - PID ");
        // the last one may be half written
        String last = snapshots.length > 1 ? snapshots[snapshots.length - 2] : "";
        Map<String, Double> rows = new HashMap<>();
        for (String line : last.lines().toList()) {
            Matcher m = TOP_ROW.matcher(line);
            if (m.matches()) {
                rows.put(m.group(2), Double.parseDouble(m.group(1)));
            }
        }
        return rows;
    }

    @Test
    void opcodesWithNativeOrATaskListIsAUsageErrorInTopAndDump() {
        for (String[] args : new String[][] {{"top", "--opcodes", "--native", "-p", "1"},
                {"dump", "--opcodes", "--native", "-p", "1"}, {"dump", "--opcodes", "--async-aware", "-p", "1"}}) {
            PyspyCli.Result r = PyspyCli.runInProcess(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + "\n" + r);
            assertTrue(r.stderr().contains("--opcodes"), String.join(" ", args) + "\n" + r);
        }
    }

    @Test
    void opcodesWithFunctionOrNativeIsAUsageError() {
        PyspyCli.Result function = PyspyCli.runInProcess("record", "--opcodes", "-F", "-p", "1");
        assertEquals(2, function.exitCode(), function.toString());
        assertTrue(function.stderr().contains("--opcodes") && function.stderr().contains("--function"), function.toString());
        PyspyCli.Result nativeFrames = PyspyCli.runInProcess("record", "--opcodes", "--native", "-p", "1");
        assertEquals(2, nativeFrames.exitCode(), nativeFrames.toString());
        assertTrue(nativeFrames.stderr().contains("--native"), nativeFrames.toString());
    }
}
