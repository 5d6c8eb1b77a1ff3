package dev.pyspy.cli;

import static dev.pyspy.testing.Collapsed.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
