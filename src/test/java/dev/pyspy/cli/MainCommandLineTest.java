package dev.pyspy.cli;

import dev.pyspy.testing.PyspyCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pyspy} alone, {@code --version} and {@code completions}, as py-spy's users expect them. */
class MainCommandLineTest {
    @TempDir
    Path dir;

    @Test
    void noArgumentsPrintsTheUsageOnStderrWithExitCode2() {
        PyspyCli.Result r = PyspyCli.runInProcess();
        assertEquals(2, r.exitCode());
        assertEquals("", r.stdout());
        assertTrue(r.stderr().startsWith("Usage: pyspy"), r.stderr());
        assertTrue(r.stderr().contains("completions"), r.stderr());
    }

    @Test
    void versionIsTheOneMavenBuilt() {
        PyspyCli.Result r = PyspyCli.runInProcess("--version");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("pyspy " + System.getProperty("pyspy.version") + "\n", r.stdout());
    }

    @Test
    void bashCompletesPyspyWithTheGeneratedScript() throws Exception {
        PyspyCli.Result r = PyspyCli.runInProcess("completions", "bash");
        assertEquals(0, r.exitCode(), r.stderr());
        Path script = dir.resolve("pyspy.bash");
        Files.writeString(script, r.stdout());
        // what bash offers after "pyspy re" and after "pyspy dump --n" (--nonblocking and --native)
        String probe = "source '" + script + "'; complete -p pyspy;"
                + " COMP_WORDS=(pyspy re); COMP_CWORD=1; COMP_LINE='pyspy re'; COMP_POINT=8; _complete_pyspy; echo \"${COMPREPLY[*]}\";"
                + " COMP_WORDS=(pyspy dump --n); COMP_CWORD=2; COMP_LINE='pyspy dump --n'; COMP_POINT=14; _complete_pyspy;"
                + " echo \"${COMPREPLY[*]}\"";
        // (compopt complains on stderr outside a real completion: only what is offered counts)
        Process bash = new ProcessBuilder("bash", "-c", probe).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(bash.getInputStream().readAllBytes());
        assertTrue(bash.waitFor(60, TimeUnit.SECONDS));
        assertEquals("complete -o default -F _complete_pyspy pyspy\nrecord render\n--nonblocking --native\n", out);
    }

    @Test
    void zshAndFishScriptsNameEverySubcommand() {
        String zsh = PyspyCli.runInProcess("completions", "zsh").stdout();
        assertTrue(zsh.startsWith("#compdef pyspy\n"), zsh);
        String fish = PyspyCli.runInProcess("completions", "fish").stdout();
        for (String sub : new String[]{"record", "top", "dump", "render", "diff", "completions"}) {
            assertTrue(fish.contains("complete -c pyspy -n __fish_use_subcommand -a " + sub + " -d "), sub);
            assertTrue(zsh.contains(sub), sub);
        }
        assertTrue(fish.contains("complete -c pyspy -n '__fish_seen_subcommand_from dump' -s p -l pid -x -a '(__fish_complete_pids)'"), fish);
    }

    @Test
    void anUnknownShellIsAnInvalidCommandLine() {
        PyspyCli.Result r = PyspyCli.runInProcess("completions", "tcsh");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().startsWith("pyspy: "), r.stderr());
    }
}
