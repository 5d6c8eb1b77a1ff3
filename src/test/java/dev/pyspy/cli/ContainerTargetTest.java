package dev.pyspy.cli;

import dev.pyspy.testing.Collapsed;
import dev.pyspy.testing.NeedsRoot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.PyspyCli;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A target in a container — its own mount and PID namespace, its own root — profiled from the host:
 * the interpreter exists only at its in-container path ({@code /opt/python}, a bind mount of a
 * pyenv build), the script only inside the root, and the interpreter knows its threads by their
 * in-namespace tids (the main thread is 1). pyspy must show the container's file and function
 * names, idle/active from the kernel, and the host's tids.
 */
@Timeout(300)
@NeedsRoot
class ContainerTargetTest {
    /**
     * Runs in the new namespaces (as PID 1's parent): mounts the host's /usr, the interpreter build
     * at /opt/python, a /proc of the new PID namespace and /dev into the root, then chroots.
     * Arguments: root, interpreter prefix on the host, then the command.
     */
    private static final String CONTAINER = String.join("; ",
            "set -e", "root=\"$1\"", "prefix=\"$2\"", "shift 2",
            "mount --bind /usr \"$root/usr\"",
            "mount --bind \"$prefix\" \"$root/opt/python\"",
            "mount -t proc proc \"$root/proc\"",
            "mount --rbind /dev \"$root/dev\"",
            "exec chroot \"$root\" /usr/bin/env LD_LIBRARY_PATH=/opt/python/lib PYTHONDONTWRITEBYTECODE=1 \"$@\"");

    private static Path base;
    private static Path root;
    private static Path app;

    @BeforeAll
    static void buildRoot() throws Exception {
        base = Files.createTempDirectory("pyspy-container");
        root = base.resolve("root");
        for (String dir : List.of("usr", "opt/python", "proc", "dev", "tmp")) {
            Files.createDirectories(root.resolve(dir));
        }
        for (String dir : List.of("bin", "lib", "lib64", "sbin")) {
            Path host = Path.of("/" + dir);
            if (Files.isSymbolicLink(host)) {
                Files.createSymbolicLink(root.resolve(dir), Files.readSymbolicLink(host)); // merged /usr
            }
        }
        // the scripts exist only inside the root, at a path the host does not have
        app = root.resolve("srv").resolve("pyspy-app-" + System.nanoTime());
        Files.createDirectories(app);
        Path scripts = TargetProcess.scripts("stacks_target.py", "unicode_target.py");
        for (String f : List.of("stacks_target.py", "unicode_target.py")) {
            Files.copy(scripts.resolve(f), app.resolve(f));
        }
    }

    @AfterAll
    static void removeRoot() throws IOException {
        if (base == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * Host pyenv-style builds (PREFIX/bin/pythonX.Y with PREFIX/lib) to run in the container: the
     * newest 3.11+ (tids recorded by the interpreter) and the newest 3.6-3.10 (tids found through
     * glibc's struct pthread), where present.
     */
    static List<Interpreter> interpreters() {
        Interpreter newer = null;
        Interpreter older = null;
        for (Interpreter i : Interpreters.host()) {
            Path bin = i.path().toAbsolutePath().getParent();
            if (i.isPython2() || i.freeThreaded() || !bin.getFileName().toString().equals("bin")
                    || !Files.isDirectory(bin.resolveSibling("lib")) || bin.startsWith("/usr")) {
                continue;
            }
            if (i.hasQualifiedNames()) {
                newer = i;
            } else {
                older = i;
            }
        }
        List<Interpreter> out = new ArrayList<>();
        for (Interpreter i : new Interpreter[]{older, newer}) {
            if (i != null) {
                Path prefix = i.path().toAbsolutePath().getParent().getParent();
                List<String> launcher = List.of("unshare", "--fork", "--pid", "--mount", "--propagation", "private",
                        "--kill-child", "sh", "-c", CONTAINER, "pyspy-container", "ROOT", prefix.toString());
                out.add(new Interpreter(i.majorMinor(), Path.of("/opt/python/bin", i.path().getFileName().toString()),
                        launcher, "container-" + i.majorMinor(), null, true));
            }
        }
        return out;
    }

    /** The interpreter with this test's root filled in (the root is made after the sources are listed). */
    private static Interpreter inRoot(Interpreter i) {
        List<String> prefix = i.prefix().stream().map(w -> w.equals("ROOT") ? root.toString() : w).toList();
        return new Interpreter(i.majorMinor(), i.path(), prefix, i.name(), root, true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void aTargetInItsOwnMountAndPidNamespaceIsProfiledFromTheHost(Interpreter template) throws Exception {
        Interpreter python = inRoot(template);
        try (TargetProcess target = TargetProcess.start(python, app.resolve("stacks_target.py"))) {
            JsonNode truth = target.truth(60);
            int pid = target.pid();
            assertEquals(1, truth.get("pid").asInt(), "the interpreter is PID 1 of its namespace");
            String inside = truth.get("threads").get(0).get("frames").get(0).get("filename").asText();
            assertFalse(Files.exists(Path.of(inside)), inside + " must exist only in the container");
            assertFalse(Files.exists(python.path()), python.path() + " must exist only in the container");
            Set<Long> hostTids = new HashSet<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Integer.toString(pid), "task"))) {
                tasks.forEach(t -> hostTids.add(Long.parseLong(t.getFileName().toString())));
            }

            PyspyCli.Result r = PyspyCli.run("dump", "--json", "--full-filenames", "-p", Integer.toString(pid));
            assertEquals(0, r.exitCode(), r.toString());
            Map<String, JsonNode> byName = new HashMap<>();
            for (JsonNode t : new ObjectMapper().readTree(r.stdout())) {
                byName.put(t.path("thread_name").asText(null), t);
            }
            for (JsonNode t : truth.get("threads")) {
                String name = t.get("name").asText();
                JsonNode d = byName.get(name);
                assertNotNull(d, "thread " + name + " missing:\n" + r.stdout());
                assertEquals(frames(t.get("frames")), frames(d.get("frames")), "frames of " + name);
                assertEquals(t.get("active").asBoolean(), d.get("active").asBoolean(), "active flag of " + name);
                long tid = d.get("os_thread_id").asLong();
                assertTrue(hostTids.contains(tid), name + ": " + tid + " is not a host tid of " + pid + " " + hostTids);
                if (!t.get("native_id").isNull()) {
                    long nsTid = t.get("native_id").asLong();
                    assertNotEquals(nsTid, tid, "the in-namespace tid of " + name + " was shown");
                    assertEquals(nsTid, innermostNsPid(pid, tid), "host tid " + tid + " is thread " + name);
                }
            }

            PyspyCli.Result text = PyspyCli.run("dump", "-p", Integer.toString(pid));
            assertEquals(0, text.exitCode(), text.toString());
            assertTrue(text.stdout().contains("Thread " + pid + " (idle): \"MainThread\""), text.stdout());
            assertTrue(text.stdout().contains("    park_forever (stacks_target.py:23)"), text.stdout());

            Path out = base.resolve("container-" + python.majorMinor() + ".txt");
            PyspyCli.Result rec = PyspyCli.run("record", "-r", PyspyCli.RATE, "-t", "-d", "2", "-f", "raw", "-o",
                    out.toString(), "-p", Integer.toString(pid));
            assertEquals(0, rec.exitCode(), rec.toString());
            Pattern root = Pattern.compile("^thread \\((\\d+)\\): ([^;]*);");
            boolean spinner = false;
            for (String stack : Collapsed.read(out).keySet()) {
                Matcher m = root.matcher(stack);
                assertTrue(m.find(), stack);
                assertTrue(hostTids.contains(Long.parseLong(m.group(1))), "host tid in " + stack);
                spinner |= m.group(2).equals("spinner") && stack.contains("spin (stacks_target.py:");
            }
            assertTrue(spinner, "the spinning thread was recorded:\n" + Files.readString(out));
        }
    }

    private static List<String> frames(JsonNode frames) {
        List<String> out = new ArrayList<>();
        frames.forEach(f -> out.add(f.get("name").asText() + " (" + f.get("filename").asText() + ":" + f.get("line").asInt() + ")"));
        return out;
    }

    /** The last number of the NSpid line of a host thread: its tid inside the target's namespace. */
    private static long innermostNsPid(int pid, long tid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "task", Long.toString(tid), "status"))) {
            if (line.startsWith("NSpid:")) {
                String[] f = line.substring(6).trim().split("\\s+");
                return Long.parseLong(f[f.length - 1]);
            }
        }
        throw new AssertionError("no NSpid for " + tid);
    }
}
