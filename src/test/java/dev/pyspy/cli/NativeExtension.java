package dev.pyspy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pyspy.testing.Interpreters.Interpreter;
import org.junit.jupiter.api.Assumptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The C extension of the {@code --native} tests ({@code targets/native/nativeext.c}), and how a dump's JSON tells native frames. */
final class NativeExtension {

    private NativeExtension() {
    }

    /**
     * Builds nativeext.so into {@code dir} with the interpreter's own headers, gcc given
     * {@code flags} too ({@code -g}: with line tables); skips the test if the interpreter has none.
     */
    static void build(Interpreter python, Path dir, String... flags) throws Exception {
        Process p = new ProcessBuilder(python.command("-c",
                "import sysconfig; print(sysconfig.get_paths()['include'])")).redirectErrorStream(true).start();
        String include = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), include);
        Path hostInclude = python.root() == null ? Path.of(include) : python.root().resolve(include.substring(1));
        Assumptions.assumeTrue(Files.isRegularFile(hostInclude.resolve("Python.h")),
                python + " has no C headers at " + hostInclude);
        Path source = dir.resolve("nativeext.c");
        try (var in = NativeExtension.class.getResourceAsStream("/targets/native/nativeext.c")) {
            Files.copy(in, source);
        }
        List<String> gcc = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O2", "-I" + hostInclude));
        gcc.addAll(List.of(flags));
        if (python.root() != null) {
            // Debian's multiarch pyconfig.h includes <x86_64-linux-gnu/pythonX.Y/pyconfig.h> from the tree's /usr/include
            gcc.addAll(List.of("-idirafter", python.root().resolve("usr/include").toString()));
        }
        if (python.freeThreaded()) {
            gcc.add("-DPy_GIL_DISABLED=1");
        }
        gcc.addAll(List.of("-o", dir.resolve("nativeext.so").toString(), source.toString()));
        Process cc = new ProcessBuilder(gcc).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), out);
        Files.delete(source); // not staged into trees
    }

    /** A native frame's module is its library (as py-spy has it); a Python frame has none. */
    static boolean isNative(JsonNode frame) {
        return frame.hasNonNull("module");
    }

    /** The file name of a native frame's library ({@code libc.so.6}). */
    static String library(JsonNode frame) {
        String module = frame.get("module").asText();
        return module.substring(module.lastIndexOf('/') + 1);
    }
}
