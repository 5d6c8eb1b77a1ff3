package dev.pyspy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every CPython interpreter on this machine: pyenv's builds and pythonX.Y on PATH (Debian's own),
 * deduplicated by real path. {@code PYSPY_EXTRA_INTERPRETERS} (colon-separated paths) adds more.
 */
public final class Interpreters {
    private static final Pattern NAME = Pattern.compile("python(\\d)\\.(\\d+)(t?)$");

    /** An interpreter and the label tests show for it, e.g. "3.12 (/root/.pyenv/versions/3.12.1/bin/python3.12)". */
    public record Interpreter(String majorMinor, Path path, List<String> prefix) {
        public boolean isPython2() {
            return majorMinor.startsWith("2.");
        }

        /** 3.11+ code objects carry co_qualname, which pyspy shows ("Worker.method"). */
        public boolean hasQualifiedNames() {
            String[] mm = majorMinor.replace("t", "").split("\\.");
            int major = Integer.parseInt(mm[0]);
            return major > 3 || (major == 3 && Integer.parseInt(mm[1]) >= 11);
        }

        /** The command that runs this interpreter (a chroot prefix for interpreters in trees). */
        public List<String> command(String... args) {
            List<String> cmd = new ArrayList<>(prefix);
            cmd.add(path.toString());
            cmd.addAll(List.of(args));
            return cmd;
        }

        @Override
        public String toString() {
            return majorMinor + " (" + path + ")";
        }
    }

    private Interpreters() {
    }

    public static List<Interpreter> all() {
        Map<Path, Interpreter> found = new LinkedHashMap<>();
        Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        if (Files.isDirectory(pyenv)) {
            try (Stream<Path> versions = Files.list(pyenv)) {
                versions.sorted().forEach(v -> addFromDir(v.resolve("bin"), found));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && !dir.contains("/.pyenv/")) {
                addFromDir(Path.of(dir), found);
            }
        }
        String extra = System.getenv("PYSPY_EXTRA_INTERPRETERS");
        if (extra != null) {
            for (String p : extra.split(":")) {
                if (!p.isBlank()) {
                    add(Path.of(p), found);
                }
            }
        }
        return new ArrayList<>(found.values());
    }

    private static void addFromDir(Path dir, Map<Path, Interpreter> found) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.sorted().filter(f -> NAME.matcher(f.getFileName().toString()).matches())
                    .forEach(f -> add(f, found));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(Path file, Map<Path, Interpreter> found) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches() || !Files.isExecutable(file)) {
            return;
        }
        try {
            Path real = file.toRealPath();
            found.putIfAbsent(real, new Interpreter(m.group(1) + "." + m.group(2) + m.group(3), file, List.of()));
        } catch (IOException e) {
            // a dangling link is not an interpreter
        }
    }
}
