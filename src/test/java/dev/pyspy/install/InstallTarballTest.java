package dev.pyspy.install;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tarball unpacked into a fresh directory mounted read-only runs {@code dump}, {@code record}
 * and {@code top} against a real interpreter, by its path and through a symlink on PATH, with
 * nothing on stderr and the output {@code scripts/pyspy} gives.
 */
class InstallTarballTest {
    @TempDir
    static Path work;
    static Path install;
    static Path pathDir;
    static Process target;

    @BeforeAll
    static void unpack() throws Exception {
        Path unpacked = Files.createDirectory(work.resolve("opt"));
        Installed.Result tar = Installed.run("tar", "-xzf", Installed.tarball().toAbsolutePath().toString(), "-C", unpacked.toString());
        assertEquals(0, tar.exitCode(), tar.stderr());
        install = unpacked.resolve("pyspy-" + Installed.VERSION);
        pathDir = Files.createDirectory(work.resolve("bin"));
        Files.createSymbolicLink(pathDir.resolve("pyspy"), install.resolve("bin/pyspy"));
        target = Installed.startTarget(Files.createDirectory(work.resolve("target")));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (target != null) {
            target.destroyForcibly().waitFor();
        }
    }

    /** The installed pyspy, run with the install directory read-only: by its path, or as {@code pyspy} from PATH. */
    private static Installed.Result installed(boolean fromPath, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(fromPath ? "pyspy" : install.resolve("bin/pyspy").toString()));
        cmd.addAll(List.of(args));
        Map<String, String> env = Map.of("PATH", pathDir + ":/usr/bin:/bin");
        return Installed.run(Installed.readOnly(install, cmd), env, work);
    }

    private static Installed.Result clone(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Installed.scriptsPyspy().toString()));
        cmd.addAll(List.of(args));
        // the jar of this build, wherever -Dpyspy.build.dir put it
        return Installed.run(cmd, Map.of("PYSPY_BUILD_DIR", Installed.BUILD.toAbsolutePath().toString()), work);
    }

    @Test
    void dumpPrintsWhatScriptsPyspyPrints() throws Exception {
        String pid = String.valueOf(target.pid());
        Installed.Result reference = clone("dump", "-p", pid);
        assertEquals(0, reference.exitCode(), reference.stderr());
        assertTrue(reference.stdout().contains("sleeper_in_thread") && reference.stdout().contains("sleeper_in_main"),
                reference.stdout());
        for (boolean fromPath : new boolean[]{false, true}) {
            Installed.Result r = installed(fromPath, "dump", "-p", pid);
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals("", r.stderr());
            assertEquals(reference.stdout(), r.stdout());
        }
    }

    @Test
    void recordFindsTheStacksScriptsPyspyFinds() throws Exception {
        String pid = String.valueOf(target.pid());
        Path ours = work.resolve("installed.txt");
        Path theirs = work.resolve("clone.txt");
        Installed.Result reference = clone("record", "-p", pid, "-d", "1", "-i", "-f", "raw", "-o", theirs.toString());
        assertEquals(0, reference.exitCode(), reference.stderr());
        Installed.Result r = installed(true, "record", "-p", pid, "-d", "1", "-i", "-f", "raw", "-o", ours.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertNoJvmMessages(r.stderr());
        Set<String> stacks = stacks(ours);
        assertEquals(stacks(theirs), stacks);
        assertEquals(2, stacks.size(), stacks.toString());
    }

    @Test
    void topInPipeModeShowsTheTargetsFunctions() throws Exception {
        Path out = work.resolve("top.out");
        Path err = work.resolve("top.err");
        List<String> cmd = Installed.readOnly(install, List.of(install.resolve("bin/pyspy").toString(),
                "top", "-p", String.valueOf(target.pid()), "-i", "--delay", "0.5"));
        Process top = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            Installed.waitFor(() -> Files.readString(out).contains("sleeper_in_thread")
                    && Files.readString(out).contains("sleeper_in_main"), "top's first table");
            assertTrue(top.isAlive(), "top ended early: " + Files.readString(err));
        } finally {
            top.destroy();
            top.waitFor(60, TimeUnit.SECONDS);
        }
        assertNoJvmMessages(Files.readString(err));
    }

    private static Set<String> stacks(Path raw) throws IOException {
        Set<String> stacks = new TreeSet<>();
        for (String line : Files.readAllLines(raw)) {
            stacks.add(line.substring(0, line.lastIndexOf(' ')));
        }
        return stacks;
    }

    /** Nothing the JVM says: its warnings start "OpenJDK", "[" (unified logging) or name the VM. */
    private static void assertNoJvmMessages(String stderr) {
        for (String line : stderr.lines().toList()) {
            assertTrue(!line.startsWith("OpenJDK") && !line.startsWith("[") && !line.contains("VM warning")
                    && !line.contains("sharing") && !line.contains("classlist"), "JVM message on stderr: " + line);
        }
    }
}
