package dev.pyspy.sampler;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.python.PythonProcess;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A process and its descendants, Python or not. Where the kernel lists each thread's children
 * ({@code /proc/PID/task/TID/children}, CONFIG_PROC_CHILDREN) the tree is read from those files,
 * a few reads per scan whatever runs on the machine; elsewhere from the parent ids in
 * {@code /proc/PID/stat}, each process's read once, when its pid first appears: a rescan lists
 * {@code /proc} and reads the stat of new pids only. Either way scanning every few milliseconds
 * stays cheap under a fork storm.
 * Safe to use from several threads; only scans wait for each other.
 */
public final class ProcessTree {
    private static final Path PROC = Path.of("/proc");

    private final int root;
    /**
     * Parent of every process seen in the last scan: replaced whole by each scan, so that readers
     * ({@link #ancestors}, {@link #parent}) never wait for a scan of {@code /proc} in progress.
     */
    private volatile Map<Integer, Integer> parents = Map.of();
    /** One scan at a time: each builds on the parents the last one read. */
    private final Object scanLock = new Object();
    /** Whether the kernel lists each thread's children (CONFIG_PROC_CHILDREN). */
    private final boolean childrenFiles;
    private Integer rootParent;
    /** Past this many threads in the tree, one listing of /proc costs less than a children file per thread. */
    private static final int MAX_THREADS_FOR_CHILDREN_FILES = 256;

    public ProcessTree(int root) {
        this.root = root;
        this.childrenFiles = Files.isReadable(PROC.resolve(root + "/task/" + root + "/children"));
    }

    public int root() {
        return root;
    }

    /** The root, then its descendants, each after its parent (depth first, siblings in pid order). */
    public List<Integer> members() {
        Map<Integer, Integer> now;
        synchronized (scanLock) {
            now = childrenFiles ? readChildrenFiles() : null;
            if (now == null) {
                now = scanAll(parents);
                if (now == null) {
                    return List.of(root);
                }
            }
            parents = now;
        }
        Map<Integer, List<Integer>> children = new HashMap<>();
        now.forEach((pid, parent) -> children.computeIfAbsent(parent, k -> new ArrayList<>()).add(pid));
        children.values().forEach(kids -> kids.sort(null));
        List<Integer> out = new ArrayList<>();
        addSubtree(root, children, out, new HashSet<>());
        return out;
    }

    /** The parent of every process on the machine, reading the stat of the pids {@code before} lacks. */
    private static Map<Integer, Integer> scanAll(Map<Integer, Integer> before) {
        Map<Integer, Integer> now = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path p : procs) {
                int pid = Integer.parseInt(p.getFileName().toString());
                Integer parent = before.get(pid);
                if (parent == null) {
                    parent = readParent(pid);
                }
                if (parent != null) {
                    now.put(pid, parent);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return now;
    }

    /**
     * The tree's processes and their parents from each member thread's {@code children} file: a few
     * small reads instead of a listing of every process on the machine. Null when the tree has so
     * many threads that the listing is cheaper.
     */
    private Map<Integer, Integer> readChildrenFiles() {
        Map<Integer, Integer> now = new HashMap<>();
        if (rootParent == null) {
            rootParent = readParent(root);
            if (rootParent == null) {
                return now; // the root is gone
            }
        }
        now.put(root, rootParent);
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(root));
        int threads = 0;
        while (!queue.isEmpty()) {
            int pid = queue.poll();
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(pid + "/task"))) {
                for (Path task : tasks) {
                    if (++threads > MAX_THREADS_FOR_CHILDREN_FILES) {
                        return null;
                    }
                    for (String child : Files.readString(task.resolve("children")).split(" ")) {
                        if (!child.isBlank() && now.putIfAbsent(Integer.parseInt(child.strip()), pid) == null) {
                            queue.add(Integer.parseInt(child.strip()));
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // exited meanwhile: so did its part of the tree, or its children were reparented
            }
        }
        return now;
    }

    private static void addSubtree(int pid, Map<Integer, List<Integer>> children, List<Integer> out, Set<Integer> seen) {
        if (!seen.add(pid)) {
            return;
        }
        out.add(pid);
        for (int child : children.getOrDefault(pid, List.of())) {
            addSubtree(child, children, out, seen);
        }
    }

    /**
     * The processes of the tree above {@code pid}, as of the last scan: the root first, down to
     * {@code pid}'s parent. Empty for the root, or for a pid the scan did not place in the tree.
     */
    public List<Integer> ancestors(int pid) {
        Map<Integer, Integer> known = parents;
        if (!known.containsKey(pid)) {
            members(); // a process found before any scan (the first one) or since the last
            known = parents;
        }
        List<Integer> up = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int p = pid; p != root; ) {
            Integer parent = known.get(p);
            if (parent == null || !seen.add(parent)) {
                return List.of(); // not (or no longer) under the root
            }
            up.add(parent);
            p = parent;
        }
        Collections.reverse(up);
        return up;
    }

    /**
     * Records {@code child}, reported forked by {@code parent} (a process event), ahead of the next
     * scan, if its stat still names that parent; false when it does not (it exited, or its pid is
     * another process's by now).
     */
    public boolean adopt(int child, int parent) {
        Integer actual = readParent(child);
        if (actual == null || actual != parent) {
            return false;
        }
        synchronized (scanLock) {
            Map<Integer, Integer> next = new HashMap<>(parents);
            next.put(child, parent);
            parents = next;
        }
        return true;
    }

    /** The parent of {@code pid} as of the last scan, 0 when unknown. */
    public int parent(int pid) {
        return parents.getOrDefault(pid, 0);
    }

    /** True while the root or any descendant runs (zombies do not count). */
    public boolean alive() {
        for (int pid : members()) {
            if (!PythonProcess.isGone(pid)) {
                return true;
            }
        }
        return false;
    }

    /** The first Python process of the tree, in {@link #members()} order; non-Python ones are skipped. */
    public PythonProcess attachFirstPython() throws PyspyException {
        List<Integer> members = members();
        for (int pid : members) {
            try {
                return PythonProcess.attach(pid);
            } catch (PyspyException e) {
                if (pid == root && e.exitCode() == ExitCode.NO_SUCH_PROCESS) {
                    throw e;
                }
            }
        }
        throw noPython(members.size() - 1);
    }

    /** The error when neither the root nor any of its {@code descendants} runs Python. */
    public PyspyException noPython(int descendants) {
        return new PyspyException(ExitCode.NOT_PYTHON, "no Python interpreter found in process " + root
                + " or its " + descendants + " descendant" + (descendants == 1 ? "" : "s"));
    }

    private static Integer readParent(int pid) {
        try {
            String stat = new String(Files.readAllBytes(PROC.resolve(Integer.toString(pid)).resolve("stat")),
                    StandardCharsets.ISO_8859_1);
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
            return Integer.parseInt(after[1]);
        } catch (IOException | RuntimeException e) {
            return null; // it exited while we looked
        }
    }
}
