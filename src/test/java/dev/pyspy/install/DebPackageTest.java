package dev.pyspy.install;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The .deb installed with dpkg into a fresh root: {@code /usr/bin/pyspy} runs (version, a dump of a
 * real interpreter), bash completes it, man renders every page, and removing the package leaves
 * nothing of it behind.
 */
class DebPackageTest {
    @TempDir
    Path work;

    @Test
    void installsRunsCompletesDocumentsAndRemovesCleanly() throws Exception {
        Path root = Files.createDirectory(work.resolve("root"));
        Path admin = Files.createDirectories(root.resolve("var/lib/dpkg"));
        Files.createDirectories(admin.resolve("info"));
        Files.createDirectories(admin.resolve("updates"));
        Files.createFile(admin.resolve("status"));
        Files.createFile(admin.resolve("available"));
        // a root without libc6: the dependency is what dpkg alone cannot satisfy here (apt would)
        Installed.Result install = dpkg(root, "--force-depends", "-i", Installed.deb().toAbsolutePath().toString());
        assertEquals(0, install.exitCode(), install.stdout() + install.stderr());

        String pyspy = root.resolve("usr/bin/pyspy").toString();
        Installed.Result version = Installed.run(pyspy, "--version");
        assertEquals(0, version.exitCode(), version.stderr());
        assertEquals("pyspy " + Installed.VERSION + "\n", version.stdout());
        assertEquals("", version.stderr());

        Process target = Installed.startTarget(Files.createDirectory(work.resolve("target")));
        try {
            Installed.Result dump = Installed.run(pyspy, "dump", "-p", String.valueOf(target.pid()));
            assertEquals(0, dump.exitCode(), dump.stderr());
            assertEquals("", dump.stderr());
            assertTrue(dump.stdout().contains("sleeper_in_main") && dump.stdout().contains("sleeper_in_thread"), dump.stdout());
        } finally {
            target.destroyForcibly().waitFor();
        }

        Path bash = root.resolve("usr/share/bash-completion/completions/pyspy");
        Installed.Result complete = Installed.run("bash", "-c", "source '" + bash + "'; complete -p pyspy");
        assertEquals(0, complete.exitCode(), complete.stderr());
        assertEquals("complete -o default -F _complete_pyspy pyspy\n", complete.stdout());
        assertTrue(Files.isRegularFile(root.resolve("usr/share/fish/vendor_completions.d/pyspy.fish")));
        assertTrue(Files.isRegularFile(root.resolve("usr/share/zsh/vendor-completions/_pyspy")));

        for (String page : List.of("pyspy", "pyspy-record", "pyspy-top", "pyspy-dump", "pyspy-render", "pyspy-diff",
                "pyspy-completions")) {
            Path file = root.resolve("usr/share/man/man1/" + page + ".1.gz");
            Installed.Result man = Installed.run(List.of("man", "-P", "cat", "-l", file.toString()),
                    java.util.Map.of("MANWIDTH", "100", "LC_ALL", "C.UTF-8"), work);
            assertEquals(0, man.exitCode(), man.stderr());
            assertEquals("", man.stderr(), page);
            assertTrue(man.stdout().contains(page.toUpperCase() + "(1)") && man.stdout().contains("EXIT STATUS"), man.stdout());
        }

        Installed.Result purge = dpkg(root, "--purge", "pyspy");
        assertEquals(0, purge.exitCode(), purge.stdout() + purge.stderr());
        try (Stream<Path> left = Files.walk(root)) {
            List<Path> files = left.filter(p -> !p.startsWith(admin) && !Files.isDirectory(p)).toList();
            assertEquals(List.of(), files);
        }
        assertFalse(Files.exists(root.resolve("usr")), "directories the package made are left behind");
    }

    private static Installed.Result dpkg(Path root, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("dpkg", "--root=" + root, "--force-script-chrootless",
                "--force-not-root", "--log=/dev/null"));
        cmd.addAll(List.of(args));
        return Installed.run(cmd, java.util.Map.of(), root);
    }
}
