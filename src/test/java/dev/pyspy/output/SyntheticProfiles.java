package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Large collapsed-stack inputs for the size and speed checks of the flame graphs: what a long
 * recording of a big service looks like. Deterministic (fixed seed): the same file every time.
 *
 * <p>Stacks grow from a few entry points through a pool of functions in application, standard-library
 * and site-packages files; each new stack shares a random prefix with an earlier one and adds 1-12
 * frames, so the tree branches like real programs do (depth up to about 60). Sample counts fall off
 * with rank (a few hot stacks, a long tail of single samples).
 */
public final class SyntheticProfiles {
    private SyntheticProfiles() {
    }

    /** Writes {@code uniqueStacks} distinct stacks to {@code file}; returns the number of samples. */
    public static long write(Path file, int uniqueStacks, long seed) throws IOException {
        Random r = new Random(seed);
        List<String> functions = functionPool(r, 6000);
        List<String[]> stacks = new ArrayList<>(uniqueStacks);
        Set<String> seen = new HashSet<>(uniqueStacks * 2);
        String[] entries = {
            "<module> (service/__main__.py:12)",
            "_bootstrap (/usr/lib/python3.12/threading.py:1030)",
            "run (/srv/venv/lib/python3.12/site-packages/gunicorn/arbiter.py:210)",
            "<module> (tasks/worker.py:5)",
        };
        long samples = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            while (stacks.size() < uniqueStacks) {
                String[] prefix;
                if (stacks.isEmpty() || r.nextInt(50) == 0) {
                    prefix = new String[]{entries[r.nextInt(entries.length)]};
                } else {
                    String[] base = stacks.get(r.nextInt(stacks.size()));
                    prefix = java.util.Arrays.copyOf(base, 1 + r.nextInt(base.length));
                }
                int add = 1 + r.nextInt(12);
                if (prefix.length + add > 60) {
                    add = Math.max(1, 60 - prefix.length);
                }
                String[] stack = java.util.Arrays.copyOf(prefix, prefix.length + add);
                for (int i = prefix.length; i < stack.length; i++) {
                    // callees come from a neighbourhood of the caller, so that subtrees look alike
                    int base = Math.floorMod(stack[i - 1].hashCode(), functions.size());
                    stack[i] = functions.get((base + r.nextInt(400)) % functions.size());
                }
                String line = String.join(";", stack);
                if (!seen.add(line)) {
                    continue;
                }
                stacks.add(stack);
                int rank = stacks.size();
                long count = 1 + r.nextInt(3) + 20_000L / (rank + 10);
                samples += count;
                w.write(line);
                w.write(' ');
                w.write(Long.toString(count));
                w.write('\n');
            }
        }
        return samples;
    }

    private static List<String> functionPool(Random r, int n) {
        String[] verbs = {"get", "load", "parse", "render", "compute", "fetch", "save", "validate", "encode", "decode",
            "handle", "dispatch", "process", "build", "merge", "apply", "update", "resolve", "serialize", "query"};
        String[] nouns = {"user", "order", "item", "cache", "row", "page", "token", "config", "event", "batch",
            "record", "session", "request", "response", "payload", "index", "chunk", "node", "result", "frame"};
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String fn = verbs[r.nextInt(verbs.length)] + "_" + nouns[r.nextInt(nouns.length)] + (i % 7 == 0 ? "" : "_" + i);
            String file;
            switch (r.nextInt(4)) {
                case 0 -> file = "/usr/lib/python3.12/" + nouns[r.nextInt(nouns.length)] + "lib.py";
                case 1 -> file = "/srv/venv/lib/python3.12/site-packages/" + verbs[r.nextInt(verbs.length)]
                        + "kit/" + nouns[r.nextInt(nouns.length)] + ".py";
                default -> file = "service/" + nouns[r.nextInt(nouns.length)] + "/" + verbs[r.nextInt(verbs.length)] + ".py";
            }
            out.add(fn + " (" + file + ":" + (1 + r.nextInt(900)) + ")");
        }
        return out;
    }

    private static final java.util.Map<Integer, Path> CACHE = new java.util.HashMap<>();

    /**
     * A synthetic input of {@code uniqueStacks} stacks (seed 42), written once per test JVM into a
     * temporary directory that is removed when the JVM exits.
     */
    public static synchronized Path cached(int uniqueStacks) throws IOException {
        Path p = CACHE.get(uniqueStacks);
        if (p == null || !Files.exists(p)) {
            Path dir = Files.createTempDirectory("pyspy-synthetic-");
            p = dir.resolve("synthetic-" + uniqueStacks + ".txt");
            write(p, uniqueStacks, 42);
            p.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            CACHE.put(uniqueStacks, p);
        }
        return p;
    }

    /** {@code java ... SyntheticProfiles OUT [STACKS]}: writes a synthetic profile, by default 200,000 stacks. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "synthetic-200k.txt");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        long samples = write(out, n, 42);
        System.out.println("wrote " + n + " unique stacks, " + samples + " samples to " + out);
    }
}
