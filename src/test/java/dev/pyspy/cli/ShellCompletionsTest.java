package dev.pyspy.cli;

import dev.pyspy.testing.PyspyCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The completion scripts of {@code pyspy completions zsh|fish} complete in the real shells: zsh
 * driven through a pseudo-terminal (TAB pressed in an interactive shell), fish through its own
 * completion engine ({@code complete -C}). scripts/test installs both.
 */
class ShellCompletionsTest {
    @TempDir
    static Path dir;
    private static Path zshDriver;

    @BeforeAll
    static void writeScripts() throws IOException {
        Files.writeString(dir.resolve("_pyspy"), PyspyCli.runInProcess("completions", "zsh").stdout());
        Files.writeString(dir.resolve("pyspy.fish"), PyspyCli.runInProcess("completions", "fish").stdout());
        zshDriver = dir.resolve("complete.zsh");
        try (InputStream in = ShellCompletionsTest.class.getResourceAsStream("/shells/complete.zsh")) {
            Files.copy(in, zshDriver);
        }
        Files.writeString(dir.resolve("profile.txt"), "");
    }

    @Test
    void zshCompletesSubcommandsOptionsAndTheirValues() throws Exception {
        assumeTrue(onPath("zsh"), "zsh is not installed");
        assertEquals("pyspy record ", zsh("pyspy rec"));
        assertEquals("pyspy record --format ", zsh("pyspy record --form"));
        assertEquals("pyspy record --format speedscope ", zsh("pyspy record --format spee"));
        assertEquals("pyspy completions fish ", zsh("pyspy completions f"));
    }

    @Test
    void fishCompletesSubcommandsOptionsAndTheirValuesButNoFilesWhereAValueIsNoFile() throws Exception {
        assumeTrue(onPath("fish"), "fish is not installed");
        List<String> subcommands = firstColumn(fish("pyspy re"));
        assertEquals(List.of("record", "render"), subcommands);
        assertEquals(List.of("--format"), firstColumn(fish("pyspy record --fo")));
        List<String> formats = firstColumn(fish("pyspy record -f "));
        assertTrue(formats.containsAll(List.of("flamegraph", "speedscope", "pprof", "heatmap")), formats.toString());
        assertTrue(!formats.contains("profile.txt"), "a format is not a file: " + formats);
        assertTrue(!firstColumn(fish("pyspy record --rate ")).contains("profile.txt"), "a rate is not a file");
        assertTrue(firstColumn(fish("pyspy record -o ")).contains("profile.txt"), "-o takes a file");
        assertEquals(List.of("bash", "fish", "zsh"), firstColumn(fish("pyspy completions ")).stream().sorted().toList());
    }

    private static String zsh(String line) throws Exception {
        return run(List.of("zsh", "-f", zshDriver.toString(), dir.resolve("_pyspy").toString(), line)).strip() + " ";
    }

    private static String fish(String line) throws Exception {
        return run(List.of("fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                dir.resolve("pyspy.fish").toString(), line));
    }

    private static List<String> firstColumn(String completions) {
        List<String> out = new ArrayList<>();
        for (String l : completions.split("\n")) {
            if (!l.isBlank()) {
                out.add(l.split("\t", 2)[0]);
            }
        }
        return out;
    }

    /** Runs a shell in the directory that holds one plain file, bounded by a minute (a hung shell fails). */
    private static String run(List<String> command) throws Exception {
        Path log = Files.createTempFile(dir, "shell", ".out");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        p.destroyForcibly();
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, "shell hung: " + command + ": " + out);
        assertEquals(0, p.exitValue(), command + ": " + out);
        return out;
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
