package dev.pyspy.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads a profile in the collapsed-stack format ({@code -f raw}: "frame;frame;frame count" lines). */
public final class Collapsed {
    private static final Pattern LINE = Pattern.compile("^(.+) (\\d+)$");

    private Collapsed() {
    }

    /** Collapsed stacks → count per line; fails on any malformed line (a truncated file). */
    public static Map<String, Long> read(Path file) throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            Matcher m = LINE.matcher(line);
            assertTrue(m.matches(), "malformed collapsed line: " + line);
            out.merge(m.group(1), Long.parseLong(m.group(2)), Long::sum);
        }
        return out;
    }

    /** The samples whose stack contains {@code frame}. */
    public static long samplesContaining(Map<String, Long> stacks, String frame) {
        return stacks.entrySet().stream().filter(e -> e.getKey().contains(frame)).mapToLong(Map.Entry::getValue).sum();
    }
}
