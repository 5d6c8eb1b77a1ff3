package dev.pyspy.output;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.util.SudoUser;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that it appears whole or not at all: the content goes to a hidden temporary file
 * in the target's directory, is forced to disk, and is then renamed over the target. If writing fails
 * (or the process dies) the target is left as it was; on a failure the temporary file is deleted.
 *
 * <p>The rename replaces the file, not its content, so the temporary file first takes the existing
 * file's owner, group and mode: root writing over a user's {@code 0600} file must not leave it
 * root's and readable by all. A new file made by root under sudo belongs to the user who ran sudo.
 */
public final class AtomicFileOutput {
    private static final int PERMISSION_BITS = 07777;
    private AtomicFileOutput() {
    }

    /** What to write into the stream; the stream must not be closed by the body. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes {@code profile} with {@code writer} to {@code target} atomically. */
    public static void write(Path target, Profile profile, ProfileWriter writer) throws IOException {
        write(target, out -> writer.write(profile, out));
    }

    /**
     * Writes what {@code body} produces to {@code target} atomically, replacing any existing file
     * (through a symbolic link: the link stays). A target that exists and is not a regular file
     * ({@code /dev/null}, a FIFO, {@code /dev/stdout}) is written in place: renaming over it would
     * replace the device or pipe with a file.
     */
    public static void write(Path target, Body body) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
            writeInPlace(absolute, body);
            return;
        }
        if (Files.isRegularFile(absolute)) {
            absolute = absolute.toRealPath();
        }
        Path dir = absolute.getParent();
        Path temp = createTemp(dir, absolute.getFileName().toString());
        boolean done = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                body.writeTo(new NonClosing(out));
                out.flush();
                channel.force(true);
            }
            // after writing: the kept mode may not let its owner write (0444)
            if (Files.isRegularFile(absolute)) {
                keepOwnerAndMode(absolute, temp);
            } else {
                giveToSudoUser(temp);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException suppressed) {
                    // the original failure matters more
                }
            }
        }
    }

    private static void keepOwnerAndMode(Path existing, Path temp) throws IOException {
        Map<String, Object> was = Files.readAttributes(existing, "unix:uid,gid,mode");
        Map<String, Object> is = Files.readAttributes(temp, "unix:uid,gid");
        try {
            // owner before mode: changing the owner clears the set-id bits
            for (String id : new String[]{"uid", "gid"}) {
                if (!was.get(id).equals(is.get(id))) {
                    Files.setAttribute(temp, "unix:" + id, was.get(id));
                }
            }
        } catch (FileSystemException e) {
            throw new FileSystemException(existing.toString(), null, "cannot keep its owner and group (uid "
                    + was.get("uid") + ", gid " + was.get("gid") + "), so it was not replaced");
        }
        Files.setAttribute(temp, "unix:mode", (Integer) was.get("mode") & PERMISSION_BITS);
    }

    private static void giveToSudoUser(Path temp) throws IOException {
        Optional<SudoUser> user = SudoUser.of(System.getenv(), (Integer) Files.getAttribute(temp, "unix:uid"));
        if (user.isPresent()) {
            Files.setAttribute(temp, "unix:uid", user.get().uid());
            Files.setAttribute(temp, "unix:gid", user.get().gid());
        }
    }

    private static void writeInPlace(Path target, Body body) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target, StandardOpenOption.WRITE), 1 << 16)) {
            body.writeTo(new NonClosing(out));
        }
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
            Path temp = dir.resolve("." + name + "." + suffix + ".tmp");
            try {
                // created like any new file (permissions from the umask), unlike Files.createTempFile's 0600
                Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Checks, before recording starts, that {@code target} can be written: its directory exists, is a
     * directory and accepts new files, and the target is not itself a directory. Creates and removes a
     * probe file to be sure (permission bits alone do not tell, e.g. for root or on read-only mounts).
     *
     * @throws PyspyException with {@link ExitCode#USAGE} and a one-line message otherwise
     */
    public static void ensureWritable(Path target) throws PyspyException {
        Path absolute = target.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        if (dir == null || absolute.getFileName() == null) {
            throw usage("cannot write output to " + target + ": not a file path");
        }
        if (Files.isDirectory(absolute)) {
            throw usage("cannot write output to " + target + ": it is a directory");
        }
        if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
            if (!Files.isWritable(absolute)) {
                throw usage("cannot write output to " + target + ": not writable");
            }
            return; // a device or pipe, written in place
        }
        if (Files.isRegularFile(absolute)) {
            try {
                absolute = absolute.toRealPath();
                dir = absolute.getParent();
                int owner = (Integer) Files.getAttribute(absolute, "unix:uid");
                int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
                if (self != 0 && owner != self) {
                    throw usage("cannot write output to " + target + ": it belongs to another user (uid " + owner
                            + ") and replacing it would make it yours");
                }
            } catch (IOException e) {
                throw usage("cannot write output to " + target + ": " + oneLine(e));
            }
        }
        if (!Files.exists(dir)) {
            throw usage("cannot write output to " + target + ": directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw usage("cannot write output to " + target + ": " + dir + " is not a directory");
        }
        Path probe;
        try {
            probe = createTemp(dir, absolute.getFileName().toString());
        } catch (AccessDeniedException e) {
            throw usage("cannot write output to " + target + ": directory " + dir + " is not writable");
        } catch (NoSuchFileException e) {
            throw usage("cannot write output to " + target + ": directory " + dir
                    + (Files.isDirectory(dir) ? " does not accept new files" : " does not exist"));
        } catch (IOException e) {
            throw usage("cannot write output to " + target + ": " + oneLine(e));
        }
        try {
            Files.deleteIfExists(probe);
        } catch (IOException ignored) {
            // a leftover empty probe file is harmless
        }
    }

    private static String oneLine(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            m = fse.getReason();
        }
        return m.replace('\n', ' ');
    }

    private static PyspyException usage(String message) {
        return new PyspyException(ExitCode.USAGE, message.replace('\n', ' '));
    }

    /** Keeps a writer from closing the channel before it is forced and renamed. */
    private static final class NonClosing extends OutputStream {
        private final OutputStream out;

        NonClosing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
