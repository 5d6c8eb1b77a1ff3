package dev.pyspy.output;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the heatmap reads the source of a sampled file: an absolute path under each of some roots in
 * turn, a relative one in each of some directories (for a recording, the target's own filesystem
 * {@code /proc/PID/root} and working directory {@code /proc/PID/cwd}, then ours). Only Python source files
 * ({@code .py}, {@code .pyw}, {@code .pyx}) that are regular files of at most {@link #MAX_BYTES} are
 * read: a code object's file name comes from the target, and must not make pyspy copy any other file
 * it can read into a page.
 */
public final class SourceFiles {
    static final long MAX_BYTES = 4L << 20;

    /** Paths as they are, in this process's filesystem (for {@code render}). */
    public static final SourceFiles LOCAL = new SourceFiles(List.of(Path.of("/")), List.of(Path.of("")));

    private final List<Path> roots;
    private final List<Path> workingDirectories;

    /**
     * @param roots              directories an absolute path is looked up under, in order
     * @param workingDirectories directories a relative path is looked up in, in order
     */
    public SourceFiles(List<Path> roots, List<Path> workingDirectories) {
        this.roots = List.copyOf(roots);
        this.workingDirectories = List.copyOf(workingDirectories);
    }

    /** The lines of {@code path}, undecodable bytes replaced; empty when no root has it (or it is not source). */
    public Optional<List<String>> lines(String path) {
        if (path == null || !isSourceName(path)) {
            return Optional.empty();
        }
        boolean absolute = path.startsWith("/");
        for (Path base : absolute ? roots : workingDirectories) {
            try {
                Path file = base.resolve(absolute ? path.substring(1) : path);
                if (Files.isRegularFile(file) && Files.size(file) <= MAX_BYTES) {
                    return Optional.of(decode(file).lines().toList());
                }
            } catch (IOException | InvalidPathException | SecurityException e) {
                // not readable here: try the next place
            }
        }
        return Optional.empty();
    }

    static boolean isSourceName(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        return lower.endsWith(".py") || lower.endsWith(".pyw") || lower.endsWith(".pyx");
    }

    private static String decode(Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) MAX_BYTES);
        }
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
    }
}
