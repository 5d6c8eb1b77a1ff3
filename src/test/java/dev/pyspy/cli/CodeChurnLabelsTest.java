package dev.pyspy.cli;

import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A label must never come from another code object: a target keeps compiling modules whose
 * functions sit at lines that move from round to round, runs them and drops them, so new code
 * objects land where freed ones were. Every sampled frame of a generated module is checked against
 * the source the target reports: a function's line is inside that function, in that module's file;
 * a module's frame is at a def line (calling nothing) or at its calling line, calling the function
 * that line calls.
 */
@NeedsRoot
class CodeChurnLabelsTest {
    private static final Pattern LABEL = Pattern.compile("(.*) \\((gen_\\d+\\.py):(\\d+)\\)");
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("code_churn_target.py");
    }

    /** Both frame models, 3.12's and 3.13's frame layouts and a provisioned 3.14: the first found of each. */
    static List<Interpreter> interpreters() {
        Map<String, Interpreter> first = new LinkedHashMap<>();
        for (Interpreter i : Interpreters.all()) {
            if (!i.forks() && List.of("2.7", "3.8", "3.12", "3.13", "3.14").contains(i.majorMinor())) {
                first.putIfAbsent(i.majorMinor(), i);
            }
        }
        return List.copyOf(first.values());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void everyLabelOfAFreshlyCompiledFunctionMatchesItsSource(Interpreter python) throws Exception {
        Path out = Files.createTempFile(scripts, "churn", ".txt");
        Path script = python.stage(scripts.resolve("code_churn_target.py"));
        Path truthFile = script.resolveSibling("churn-" + System.nanoTime() + ".json");
        // --no-gc: a <GC> leaf on a calling line is true, but not a function that line calls
        List<String> args = new ArrayList<>(List.of("record", "-r", PyspyCli.RATE, "--no-gc", "-f", "raw", "-o",
                out.toString(), "--"));
        args.addAll(python.command(python.inside(script), python.inside(truthFile), "4"));
        PyspyCli.Result r = PyspyCli.run(120, args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode truth = new ObjectMapper().readTree(truthFile.toFile());
        assumeTrue(truth.size() >= 20, "the target ran too few rounds: " + truth.size());

        long checked = 0;
        List<String> wrong = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String[] frames = line.substring(0, line.lastIndexOf(' ')).split(";");
            for (int f = 0; f < frames.length; f++) {
                Matcher m = LABEL.matcher(frames[f]);
                if (!m.matches()) {
                    continue;
                }
                checked++;
                String name = m.group(1);
                JsonNode module = truth.get(m.group(2));
                int at = Integer.parseInt(m.group(3));
                String why = null;
                if (module == null) {
                    why = "no such module";
                } else if (name.equals("<module>")) {
                    String callee = f + 1 < frames.length ? frames[f + 1] : "";
                    if (at == module.get("call").asInt()) {
                        if (!callee.isEmpty() // not called yet: its arguments being evaluated
                                && !callee.startsWith(module.get("callee").asText() + " (" + m.group(2) + ":")) {
                            why = "the calling line calls " + module.get("callee") + ", not " + callee;
                        }
                    } else if (!isDefLine(module, at)) {
                        why = "a module's frame is at a def line or its calling line " + module.get("call");
                    } else if (!callee.isEmpty()) {
                        why = "a def line calls nothing, not " + callee;
                    }
                } else {
                    JsonNode lines = module.get("functions").get(name);
                    if (lines == null) {
                        why = "the module defines no " + name;
                    } else if (at < lines.get(0).asInt() || at > lines.get(1).asInt()) {
                        why = name + " spans lines " + lines;
                    }
                }
                if (why != null) {
                    wrong.add(frames[f] + ": " + why + "\n    in " + line);
                }
            }
        }
        assertTrue(checked >= 50, "too few generated frames sampled to prove anything: " + checked);
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + checked + " labels cannot be true, e.g.\n"
                + String.join("\n", wrong.subList(0, Math.min(10, wrong.size()))));
    }

    /** Whether {@code line} is where one of the module's functions is defined (the module runs the def there). */
    private static boolean isDefLine(JsonNode module, int line) {
        for (JsonNode lines : module.get("functions")) {
            if (lines.get(0).asInt() == line) {
                return true;
            }
        }
        return false;
    }
}
