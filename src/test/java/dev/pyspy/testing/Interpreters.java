package dev.pyspy.testing;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every CPython interpreter on this machine: pyenv's builds and pythonX.Y on PATH (Debian's own),
 * deduplicated by real path. {@code PYSPY_EXTRA_INTERPRETERS} (colon-separated paths) adds more.
 * Then those that {@code scripts/provision-pythons} put in its cache (listed in its
 * {@code interpreters.tsv}): some run on the host, some inside a Debian tree with {@code chroot}, or
 * container-like in their own mount namespace after {@code pivot_root}.
 */
public final class Interpreters {
    private static final Pattern NAME = Pattern.compile("python(\\d)\\.(\\d+)(t?)$");
    private static final String DEFAULT_CACHE = "/var/cache/pyspy-pythons";

    /**
     * Container-like start: in a new mount namespace, make the tree the root ({@code pivot_root}),
     * give it /proc and /dev, drop the host's root, then exec the interpreter. The host then sees
     * only in-container paths in the target's maps. Arguments: the tree, then the command.
     */
    private static final String PIVOT_ROOT_SCRIPT = String.join("; ",
            "set -e", "root=\"$1\"", "shift",
            "mount --bind \"$root\" \"$root\"",
            "mount -t proc proc \"$root/proc\"",
            "mount --rbind /dev \"$root/dev\"",
            "cd \"$root\"", "mkdir -p oldroot", "pivot_root . oldroot", "cd /",
            "umount -l /oldroot",
            "exec \"$@\"");

    /** Staged script directories inside trees, removed when the JVM exits. */
    private static final Set<Path> STAGED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> STAGED.forEach(Interpreters::deleteTree)));
    }

    /**
     * An interpreter and how to run it.
     *
     * @param majorMinor "3.12", "3.13t"
     * @param path       the executable as the interpreter itself sees it (inside {@code root} if any)
     * @param prefix     command words before the executable ({@code chroot DIR}, {@code unshare ...})
     * @param name       label (provisioned ones: their name in the manifest, e.g. "debian-3.14-chroot")
     * @param root       the tree it runs in, or null on the host
     * @param forks      true when the started process is a launcher whose child becomes the interpreter
     */
    public record Interpreter(String majorMinor, Path path, List<String> prefix, String name, Path root,
                              boolean forks) {
        public Interpreter(String majorMinor, Path path, List<String> prefix) {
            this(majorMinor, path, prefix, null, null, false);
        }

        public boolean isPython2() {
            return majorMinor.startsWith("2.");
        }

        public boolean freeThreaded() {
            return majorMinor.endsWith("t");
        }

        /** Major * 100 + minor: 311 for "3.11" and "3.11t". */
        public int version() {
            String[] mm = majorMinor.replace("t", "").split("\\.");
            return Integer.parseInt(mm[0]) * 100 + Integer.parseInt(mm[1]);
        }

        /** Runs on the host: a plain Python 3 (not in a tree, not free-threaded). */
        public boolean isHostPython3() {
            return root == null && !isPython2() && !freeThreaded();
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

        /** Whether this interpreter can import {@code module} (a package installed for it only, such as numpy). */
        public boolean canImport(String module) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(command("-c", "import " + module)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(this + " did not import " + module + " within 60 s");
            }
            return p.exitValue() == 0;
        }

        /**
         * What {@code PYSPY_REQUIRED_INTERPRETERS} calls this interpreter: the real path of a host
         * executable, the manifest name of one in a tree.
         */
        public String id() {
            if (root != null) {
                return name;
            }
            try {
                return path.toRealPath().toString();
            } catch (IOException e) {
                return path.toString();
            }
        }

        /**
         * A copy of {@code hostFile}'s directory (its regular files) where this interpreter can read
         * it: the file itself on the host, {@code ROOT/tmp/<dir name>/<file>} for a tree. Files the
         * target writes next to it are then at the same host path's siblings.
         */
        public Path stage(Path hostFile) throws IOException {
            if (root == null) {
                return hostFile;
            }
            Path dir = hostFile.toAbsolutePath().getParent();
            Path inside = root.resolve("tmp").resolve(dir.getFileName().toString());
            Files.createDirectories(inside);
            STAGED.add(inside);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Path copy = inside.resolve(f.getFileName().toString());
                    if (!Files.exists(copy) || Files.size(copy) != Files.size(f)) {
                        Files.copy(f, copy, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return inside.resolve(hostFile.getFileName().toString());
        }

        /** The path the interpreter sees for a host path (inside its tree, if it has one). */
        public String inside(Path hostPath) {
            if (root == null) {
                return hostPath.toString();
            }
            Path abs = hostPath.toAbsolutePath();
            if (!abs.startsWith(root)) {
                throw new IllegalArgumentException(hostPath + " is not inside " + root);
            }
            return "/" + root.relativize(abs);
        }

        @Override
        public String toString() {
            return majorMinor + " (" + (name != null ? name + ": " : "") + path + (root != null ? " in " + root : "") + ")";
        }
    }

    private Interpreters() {
    }

    /**
     * The suite's Python 3 for tests that need one, whichever: a plain one on the host (not in a
     * tree, not free-threaded), the last that {@link #host()} finds, so the system's own (found on
     * PATH after pyenv's) where there is one. The test is skipped (an assumption fails) if none.
     */
    public static Interpreter hostPython3() {
        return lastOnHost("Python 3 interpreter", Interpreter::isHostPython3);
    }

    /**
     * As {@link #hostPython3()}, one that any user may run (pyenv's live under /root): for
     * programs started as another user. The test is skipped if there is none.
     */
    public static Interpreter python3AnyUserMayRun() {
        return lastOnHost("Python 3 interpreter that any user may run",
                i -> i.isHostPython3() && everyoneMayExecute(i.path()));
    }

    private static Interpreter lastOnHost(String what, Predicate<Interpreter> test) {
        List<Interpreter> found = host().stream().filter(test).toList();
        assumeTrue(!found.isEmpty(), "no " + what + " on this machine");
        return found.get(found.size() - 1);
    }

    /** Whether other users may run {@code exe}: it and every directory above it are executable by all. */
    private static boolean everyoneMayExecute(Path exe) {
        try {
            for (Path p = exe.toRealPath(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A static build of Python 3.11+ on the host (Debian's {@code /usr/bin/python3.11}): the
     * executable itself holds the runtime and exports {@code _PyRuntime} and {@code Py_Version},
     * so a copy of it runs anywhere. The test is skipped if there is none.
     */
    public static Interpreter staticPython3() {
        return newest("static build of Python 3.11+ (the executable exports _PyRuntime and Py_Version)",
                i -> i.isHostPython3() && i.version() >= 311 && exportsRuntime(i.path()));
    }

    private static boolean exportsRuntime(Path executable) {
        try {
            ElfFile elf = ElfFile.open(executable);
            return elf.dynamicSymbol("_PyRuntime").isPresent() && elf.dynamicSymbol("Py_Version").isPresent();
        } catch (PyspyException e) {
            return false;
        }
    }

    /**
     * The newest interpreter that {@code test} accepts; when none does, the test is skipped (an
     * assumption fails) saying that {@code what} is missing.
     */
    public static Interpreter newest(String what, Predicate<Interpreter> test) {
        Interpreter found = all().stream().filter(test)
                .max(Comparator.comparingInt(Interpreter::version)).orElse(null);
        assumeTrue(found != null, "no " + what + " on this machine");
        return found;
    }

    /**
     * One GIL interpreter of each of the {@code versions} ("3.12") found, and the newest GIL
     * interpreter: a test's pick of frame models without running every version.
     */
    public static Stream<Interpreter> versionsAndNewest(String... versions) {
        Set<String> wanted = Set.of(versions);
        List<Interpreter> gil = all().stream().filter(i -> !i.freeThreaded()).toList();
        Interpreter newest = gil.stream().max(Comparator.comparingInt(Interpreter::version)).orElse(null);
        Map<String, Interpreter> picked = new LinkedHashMap<>();
        for (Interpreter i : gil) {
            if (wanted.contains(i.majorMinor()) || i == newest) {
                picked.putIfAbsent(i.majorMinor(), i);
            }
        }
        return picked.values().stream();
    }

    /** Host interpreters, then provisioned ones. */
    public static List<Interpreter> all() {
        List<Interpreter> all = new ArrayList<>(host());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        all.forEach(i -> seen.add(i.id()));
        for (Interpreter i : provisioned()) {
            if (seen.add(i.id())) {
                all.add(i);
            }
        }
        return all;
    }

    /** pyenv's, PATH's and PYSPY_EXTRA_INTERPRETERS' interpreters. */
    public static List<Interpreter> host() {
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

    /**
     * The interpreters {@code scripts/provision-pythons} provided, from its manifest
     * ({@code $PYSPY_PYTHONS_CACHE/interpreters.tsv}; lines: name, mode, root, python).
     */
    public static List<Interpreter> provisioned() {
        Path cache = Path.of(System.getenv().getOrDefault("PYSPY_PYTHONS_CACHE", DEFAULT_CACHE));
        Path manifest = cache.resolve("interpreters.tsv");
        List<Interpreter> out = new ArrayList<>();
        if (!Files.isRegularFile(manifest)) {
            return out;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(manifest);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + manifest, e);
        }
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 4) {
                throw new IllegalStateException("malformed line in " + manifest + ": " + line);
            }
            String name = f[0];
            String mode = f[1];
            Path python = Path.of(f[3]);
            Matcher m = NAME.matcher(python.getFileName().toString());
            if (!m.matches()) {
                throw new IllegalStateException("not a pythonX.Y executable in " + manifest + ": " + line);
            }
            String mm = m.group(1) + "." + m.group(2) + m.group(3);
            switch (mode) {
                case "host" -> {
                    if (Files.isExecutable(python)) {
                        out.add(new Interpreter(mm, python, List.of(), name, null, false));
                    }
                }
                case "chroot" -> {
                    Path root = Path.of(f[2]);
                    if (Files.isExecutable(root.resolve(python.toString().substring(1)))) {
                        out.add(new Interpreter(mm, python, List.of("chroot", root.toString()), name, root, false));
                    }
                }
                case "pivot_root" -> {
                    Path root = Path.of(f[2]);
                    if (Files.isExecutable(root.resolve(python.toString().substring(1)))) {
                        out.add(new Interpreter(mm, python, List.of("unshare", "--mount", "--propagation", "private",
                                "--fork", "--kill-child", "sh", "-c", PIVOT_ROOT_SCRIPT, "pyspy-pivot-root",
                                root.toString()), name, root, true));
                    }
                }
                default -> throw new IllegalStateException("unknown mode '" + mode + "' in " + manifest + ": " + line);
            }
        }
        return out;
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

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // already gone
        }
    }
}
