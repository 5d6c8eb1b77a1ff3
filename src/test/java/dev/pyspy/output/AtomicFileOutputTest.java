package dev.pyspy.output;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.NeedsRoot;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.LibC;
import dev.pyspy.testing.PyspyCli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileOutputTest {
    private static final int NOBODY = 65534;
    private static final String BUSY = "import time\nt = time.time()\nwhile time.time() < t + 0.5: pass\n";

    /** An interpreter the unprivileged user can run. */
    private static String sleeper() {
        return Interpreters.python3AnyUserMayRun().path().toString();
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTheWholeFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("profile.txt");
        AtomicFileOutput.write(target, TestProfiles.heavy(), new RawWriter());
        assertEquals(List.of("profile.txt"), names(dir));
        assertEquals(5, Files.readAllLines(target).size());
    }

    @Test
    void replacesAnExistingFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("out.svg");
        Files.writeString(target, "old content that is longer than the new one");
        AtomicFileOutput.write(target, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("out.svg"), names(dir));
    }

    @Test
    void replacingAFileKeepsItsMode(@TempDir Path dir) throws IOException {
        for (String mode : new String[]{"rw-r-----", "r--r--r--", "rwxr-x---"}) {
            Path target = dir.resolve("out-" + mode + ".txt");
            Files.writeString(target, "old");
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(mode));
            AtomicFileOutput.write(target, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
            assertEquals("new", Files.readString(target));
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        }
    }

    /** Root replacing a user's private file: the new content, but still the user's file, still private. */
    @Test
    @NeedsRoot
    void recordingOverAUsersFileKeepsItsOwnerGroupAndMode(@TempDir Path dir) throws Exception {
        assumeTrue(LibC.geteuid() == 0, "needs root");
        Path out = dir.resolve("prof.txt");
        Files.writeString(out, "the user's old profile");
        Files.setAttribute(out, "unix:uid", NOBODY);
        Files.setAttribute(out, "unix:gid", NOBODY);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> notSudo = new HashMap<>();
        notSudo.put("SUDO_UID", null);
        notSudo.put("SUDO_GID", null);
        PyspyCli.Result r = PyspyCli.run(List.of(), notSudo, 60, "record", "-f", "raw", "-o", out.toString(), "--", sleeper(),
                "-c", BUSY);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(Files.readString(out).contains("<module> (<string>:"), "new content: " + Files.readString(out));
        assertEquals(Map.of("uid", NOBODY, "gid", NOBODY, "mode", 0100600),
                Files.readAttributes(out, "unix:uid,gid,mode"), "owner, group and mode kept");
        assertEquals(List.of("prof.txt"), names(dir));
    }

    @Test
    @NeedsRoot
    void aUserIsToldBeforehandThatReplacingAnotherUsersFileWouldMakeItTheirs(@TempDir Path dir) throws Exception {
        assumeTrue(LibC.geteuid() == 0, "needs root, to run pyspy as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) not installed");
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path in = OutputResources.resource(shared, "heavy.txt");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path out = shared.resolve("root.svg");
        Files.writeString(out, "root's");
        Process p = new ProcessBuilder(PyspyCli.asNobody("render", in.toString(), "-o", out.toString())).start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.contains("it belongs to another user (uid 0) and replacing it would make it yours"), err);
        assertEquals("root's", Files.readString(out));
    }

    @Test
    @NeedsRoot
    void aNewFileMadeUnderSudoBelongsToTheUserWhoRanSudo(@TempDir Path dir) throws Exception {
        assumeTrue(LibC.geteuid() == 0, "needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) not installed");
        Path out = dir.resolve("new.txt");
        PyspyCli.Result r = PyspyCli.run(List.of(), Map.of("SUDO_UID", "65534", "SUDO_GID", "65534"), 60, "record", "-f",
                "raw", "-o", out.toString(), "--", sleeper(), "-c", BUSY);
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(Map.of("uid", NOBODY, "gid", NOBODY), Files.readAttributes(out, "unix:uid,gid"));
        Path own = dir.resolve("own.txt");
        assertEquals(0, PyspyCli.run(List.of(), Map.of("SUDO_UID", "0", "SUDO_GID", "0"), 60, "record", "-f", "raw",
                "-o", own.toString(), "--", sleeper(), "-c", BUSY).exitCode());
        assertEquals(Map.of("uid", 0, "gid", 0), Files.readAttributes(own, "unix:uid,gid"), "root's without sudo");
    }

    /**
     * {@code -o /dev/null} must not replace the device with a file (renaming over it would): tried on
     * a private copy of the null device, so that a regression cannot break the machine's.
     */
    @Test
    void aDeviceIsWrittenInPlaceAndStaysADevice(@TempDir Path dir) throws Exception {
        Path devNull = dir.resolve("null");
        assertEquals(0, new ProcessBuilder("mknod", "-m", "666", devNull.toString(), "c", "1", "3").start().waitFor());
        AtomicFileOutput.ensureWritable(devNull);
        AtomicFileOutput.write(devNull, out -> out.write("discarded".getBytes(StandardCharsets.UTF_8)));
        assertFalse(Files.isRegularFile(devNull), "still a device");
        assertEquals(List.of("null"), names(dir));
        assertEquals("", Files.readString(devNull));
    }

    @Test
    void aFifoReceivesTheContent(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readString(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        AtomicFileOutput.write(fifo, out -> out.write("through the pipe".getBytes(StandardCharsets.UTF_8)));
        assertEquals("through the pipe", reader.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(List.of("pipe"), names(dir));
    }

    @Test
    void aSymbolicLinkStaysALinkToTheNewContent(@TempDir Path dir) throws Exception {
        Path real = Files.writeString(dir.resolve("real.svg"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.svg"), real.getFileName());
        AtomicFileOutput.ensureWritable(link);
        AtomicFileOutput.write(link, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
        assertEquals(List.of("link.svg", "real.svg"), names(dir));
    }

    @Test
    void failedWriteKeepsTheOldFileAndDeletesTheTemporaryFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("out.json");
        Files.writeString(target, "previous");
        IOException e = assertThrows(IOException.class, () -> AtomicFileOutput.write(target, out -> {
            out.write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of("out.json"), names(dir));
    }

    @Test
    void runtimeFailureInTheWriterAlsoLeavesNoTrace(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("new.txt");
        assertThrows(IllegalStateException.class, () -> AtomicFileOutput.write(target, out -> {
            out.write(1);
            throw new IllegalStateException("bug");
        }));
        assertEquals(List.of(), names(dir));
    }

    @Test
    void writerClosingTheStreamDoesNotBreakTheRename(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("closed.txt");
        AtomicFileOutput.write(target, out -> {
            out.write('x');
            out.close();
        });
        assertEquals("x", Files.readString(target));
    }

    @Test
    void relativeTargetsAreWrittenInTheirDirectory(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("sub/../rel.txt");
        Files.createDirectories(dir.resolve("sub"));
        AtomicFileOutput.write(target, out -> out.write('y'));
        assertEquals("y", Files.readString(dir.resolve("rel.txt")));
    }

    @Test
    void ensureWritableAcceptsAWritableDirectoryAndLeavesNothingBehind(@TempDir Path dir) throws IOException {
        assertDoesNotThrow(() -> AtomicFileOutput.ensureWritable(dir.resolve("profile.svg")));
        assertEquals(List.of(), names(dir));
    }

    @Test
    void ensureWritableRejectsAMissingDirectoryAsUsageError(@TempDir Path dir) {
        Path target = dir.resolve("missing/profile.svg");
        PyspyException e = assertThrows(PyspyException.class, () -> AtomicFileOutput.ensureWritable(target));
        assertEquals(ExitCode.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void ensureWritableRejectsADirectoryAsTarget(@TempDir Path dir) {
        PyspyException e = assertThrows(PyspyException.class, () -> AtomicFileOutput.ensureWritable(dir));
        assertEquals(ExitCode.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void ensureWritableRejectsAParentThatIsAFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        PyspyException e = assertThrows(PyspyException.class,
                () -> AtomicFileOutput.ensureWritable(file.resolve("profile.svg")));
        assertEquals(ExitCode.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void ensureWritableRejectsAReadOnlyDirectory(@TempDir Path dir) throws IOException {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            boolean rootBypasses;
            try {
                Files.delete(Files.createFile(ro.resolve("probe")));
                rootBypasses = true;
            } catch (IOException denied) {
                rootBypasses = false;
            }
            assumeFalse(rootBypasses, "running as root: permission bits do not stop writes");
            PyspyException e = assertThrows(PyspyException.class,
                    () -> AtomicFileOutput.ensureWritable(ro.resolve("profile.svg")));
            assertEquals(ExitCode.USAGE, e.exitCode());
            assertTrue(e.getMessage().contains("not writable"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
