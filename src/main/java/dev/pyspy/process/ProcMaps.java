package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Parses {@code /proc/PID/maps}. */
public final class ProcMaps {

    private ProcMaps() {}

    /** The mappings of a process, in address order. */
    public static List<MemoryMapping> read(int pid) throws PyspyException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(ProcFs.procPath(pid, "maps"));
        } catch (IOException e) {
            throw ProcFs.translate(pid, "maps", e);
        }
        // A zombie or a process whose mm is gone has an empty maps file.
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    /** Parses the text of a maps file; malformed lines throw {@link PyspyException}. */
    public static List<MemoryMapping> parse(String text) throws PyspyException {
        List<MemoryMapping> mappings = new ArrayList<>();
        int lineStart = 0;
        int n = text.length();
        while (lineStart < n) {
            int lineEnd = text.indexOf('\n', lineStart);
            if (lineEnd < 0) {
                lineEnd = n;
            }
            if (lineEnd > lineStart) {
                mappings.add(parseLine(text.substring(lineStart, lineEnd)));
            }
            lineStart = lineEnd + 1;
        }
        return mappings;
    }

    /**
     * Parses one line: {@code start-end perms offset dev inode [pathname]}. The pathname is
     * everything after the padding that follows the inode, so it may contain spaces.
     */
    public static MemoryMapping parseLine(String line) throws PyspyException {
        try {
            int[] pos = {0};
            String range = nextField(line, pos);
            String perms = nextField(line, pos);
            String offset = nextField(line, pos);
            String dev = nextField(line, pos);
            String inode = nextField(line, pos);
            int dash = range.indexOf('-');
            if (dash <= 0 || perms.length() != 4 || dev.indexOf(':') < 0) {
                throw new NumberFormatException("bad fields");
            }
            int p = pos[0];
            while (p < line.length() && line.charAt(p) == ' ') {
                p++;
            }
            String pathname = line.substring(p);
            return new MemoryMapping(
                    Long.parseUnsignedLong(range.substring(0, dash), 16),
                    Long.parseUnsignedLong(range.substring(dash + 1), 16),
                    perms,
                    Long.parseUnsignedLong(offset, 16),
                    dev,
                    Long.parseUnsignedLong(inode),
                    pathname);
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new PyspyException(ExitCode.ERROR, "unexpected line in /proc/PID/maps: " + line);
        }
    }

    private static String nextField(String line, int[] pos) {
        int p = pos[0];
        while (p < line.length() && line.charAt(p) == ' ') {
            p++;
        }
        int start = p;
        while (p < line.length() && line.charAt(p) != ' ') {
            p++;
        }
        if (p == start) {
            throw new NumberFormatException("missing field");
        }
        pos[0] = p;
        return line.substring(start, p);
    }

    /** The mapping containing {@code address}, if any. */
    public static Optional<MemoryMapping> containing(List<MemoryMapping> mappings, long address) {
        for (MemoryMapping m : mappings) {
            if (m.contains(address)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** The mappings of one file, matched by path (ignoring a {@code " (deleted)"} suffix). */
    public static List<MemoryMapping> ofFile(List<MemoryMapping> mappings, String path) {
        List<MemoryMapping> result = new ArrayList<>();
        for (MemoryMapping m : mappings) {
            if (m.isFile() && m.path().equals(path)) {
                result.add(m);
            }
        }
        return result;
    }

    /** Convenience for callers holding a {@link Path}. */
    public static List<MemoryMapping> ofFile(List<MemoryMapping> mappings, Path path) {
        return ofFile(mappings, path.toString());
    }
}
