package dev.pyspy.python;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.process.ProcMaps;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Without symbols (stripped or unusual builds) the interpreter is still found, by scanning. */
@NeedsRoot
class InterpreterLocatorTest {
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("sleep_target.py");
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void scanningDataSectionsFindsTheSameInterpreterAsTheSymbols(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("sleep_target.py"), "60")) {
            target.truth(30);
            PythonProcess process = PythonProcess.attach(target.pid());
            InterpreterLocator locator = new InterpreterLocator(process.memory(), ProcMaps.read(target.pid()),
                    process.layout());
            InterpreterLocator.Found found = locator.scan(process.binary());
            assertNotNull(found, "scan found no interpreter in " + process.binary().pathInTarget());
            assertEquals(Long.toHexString(process.interpreter()), Long.toHexString(found.interpreter()));
        }
    }
}
