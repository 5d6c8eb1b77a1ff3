package dev.pyspy.unwind;

import dev.pyspy.testing.GdbBacktraces;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.process.LibC;
import dev.pyspy.process.RemoteMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unwinds a C program built here with gcc (no frame pointers: only the CFI can unwind it) whose two
 * threads spin under a known call chain, one of them under libc's qsort. Oracles: the program's own
 * source (the chain of its functions) and gdb's backtrace of the same threads (every frame gdb finds,
 * by return address, in the same order).
 */
@Timeout(120)
@NeedsRoot
class NativeUnwinderTest {

    private Path dir;
    /**
     * Started with pyspy's own posix_spawn, not java.lang.Process: the JDK's reaper thread waits on
     * its children and would take the ptrace-stop reports this test's waits are for.
     */
    private ChildProcess target;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("pyspy-unwind");
        Path source = dir.resolve("call_chain.c");
        try (var in = getClass().getResourceAsStream("/targets/native/call_chain.c")) {
            Files.copy(in, source);
        }
        Path binary = dir.resolve("call_chain");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-fomit-frame-pointer", "-pthread", "-o", binary.toString(),
                source.toString()).redirectErrorStream(true).start();
        String gccOutput = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), gccOutput);
        Path ready = dir.resolve("ready");
        target = ChildProcess.start(List.of(binary.toString(), ready.toString()), Map.of(), null,
                dir.resolve("log"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(ready)) {
            assertTrue(target.isAlive(), "target exited");
            assertTrue(System.nanoTime() < deadline, "target never got ready");
            Thread.sleep(10);
        }
    }

    @AfterEach
    void stop() throws Exception {
        target.kill(LibC.SIGKILL);
        target.waitForExit();
        target.close();
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void bothThreadsUnwindThroughTheProgramAndLibcAsGdbSeesThem() throws Exception {
        int pid = target.pid();
        Map<Integer, List<Frame>> gdb = gdbBacktraces(pid);
        assertEquals(2, gdb.size(), "gdb saw both threads: " + gdb);

        Map<Integer, List<Frame>> ours = new HashMap<>();
        try (RemoteMemory memory = RemoteMemory.open(pid)) {
            NativeStacks stacks = new NativeStacks(pid, memory);
            long[] out = new long[NativeUnwinder.MAX_FRAMES];
            try (StoppedThreads paused = new StoppedThreads(pid)) {
                for (int tid : paused.tids()) {
                    int n = stacks.unwind(tid, out);
                    assertTrue(n > 0, "thread " + tid + " unwound");
                    List<Frame> frames = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        NativeSymbol s = stacks.symbol(out[i]);
                        // callers are given as return address - 1; gdb shows the return address
                        frames.add(new Frame(i == 0 ? out[i] : out[i] + 1, s.function(), s.library()));
                    }
                    ours.put(tid, frames);
                }
            }
        }

        List<String> chain = List.of("spin_leaf", "level3", "level2", "level1");
        for (Map.Entry<Integer, List<Frame>> e : gdb.entrySet()) {
            List<Frame> mine = ours.get(e.getKey());
            assertNotNull(mine, "thread " + e.getKey() + " was unwound");
            List<Frame> theirs = e.getValue();
            assertTrue(mine.size() >= theirs.size(), "as deep as gdb: " + mine + " vs " + theirs);
            for (int i = 0; i < theirs.size(); i++) {
                if (i > 0) {
                    assertEquals(Long.toHexString(theirs.get(i).address), Long.toHexString(mine.get(i).address),
                            "frame " + i + " of thread " + e.getKey() + ": ours " + mine + "\ngdb " + theirs);
                }
                if (theirs.get(i).function.equals("msort_with_tmp") || chain.contains(theirs.get(i).function)
                        || List.of("main", "thread_main", "compare_and_spin", "start_thread", "clone3")
                                .contains(theirs.get(i).function)) {
                    // gdb names from DWARF; the symbol may be a gcc clone (.part.0) or an alias (__clone3)
                    assertEquals(base(theirs.get(i).function), base(mine.get(i).function), "frame " + i + ": " + mine);
                }
            }
            for (int i = 0; i < chain.size(); i++) {
                assertEquals(chain.get(i), mine.get(i).function, "the program's own chain: " + mine);
                assertEquals("call_chain", mine.get(i).library);
            }
        }
        List<List<String>> names = new ArrayList<>();
        for (List<Frame> frames : ours.values()) {
            names.add(frames.stream().map(f -> f.function).toList());
        }
        assertTrue(names.stream().anyMatch(n -> n.containsAll(List.of("compare_and_spin", "msort_with_tmp.part.0",
                "thread_main", "start_thread"))), "the thread under qsort: " + names);
        assertTrue(names.stream().anyMatch(n -> n.indexOf("main") == 4 && n.contains("__libc_start_main")),
                "the main thread, past main to libc's start: " + names);
    }

    /**
     * Sampling unwinds the same threads again and again: a second unwind of a stopped thread takes its
     * rows from the cache ({@link CfiRowCache}) and comes out as the first did, and as a fresh
     * unwinder's, which works every row out again.
     */
    @Test
    void aThreadUnwoundAgainFromCachedRowsComesOutTheSame() throws Exception {
        int pid = target.pid();
        try (RemoteMemory memory = RemoteMemory.open(pid)) {
            NativeStacks stacks = new NativeStacks(pid, memory);
            try (StoppedThreads paused = new StoppedThreads(pid)) {
                for (int tid : paused.tids()) {
                    long[] first = new long[NativeUnwinder.MAX_FRAMES];
                    long[] firstTops = new long[NativeUnwinder.MAX_FRAMES];
                    int n = stacks.unwind(tid, first, firstTops);
                    assertTrue(n >= 5, "thread " + tid + " unwound: " + n);
                    long[] again = new long[NativeUnwinder.MAX_FRAMES];
                    long[] againTops = new long[NativeUnwinder.MAX_FRAMES];
                    int m = stacks.unwind(tid, again, againTops);
                    assertArrayEquals(Arrays.copyOf(first, n), Arrays.copyOf(again, m), "the same frames");
                    assertArrayEquals(Arrays.copyOf(firstTops, n), Arrays.copyOf(againTops, m), "the same CFAs");

                    long[] fresh = new long[NativeUnwinder.MAX_FRAMES];
                    long[] freshTops = new long[NativeUnwinder.MAX_FRAMES];
                    int f = new NativeStacks(pid, memory).unwind(tid, fresh, freshTops);
                    assertArrayEquals(Arrays.copyOf(fresh, f), Arrays.copyOf(again, m), "a fresh unwinder's frames");
                    assertArrayEquals(Arrays.copyOf(freshTops, f), Arrays.copyOf(againTops, m), "a fresh unwinder's CFAs");
                }
            }
        }
    }

    private static String base(String symbol) {
        int dot = symbol.indexOf('.');
        return (dot > 0 ? symbol.substring(0, dot) : symbol).replaceFirst("^_+", "");
    }

    record Frame(long address, String function, String library) {
        @Override
        public String toString() {
            return Long.toHexString(address) + " " + function + " (" + library + ")";
        }
    }

    private static final Pattern PHYSICAL = Pattern.compile("^#\\d+\\s+0x([0-9a-f]+) in (\\S+) .*");
    private static final Pattern INLINED = Pattern.compile("^#\\d+\\s+(\\S+) \\(.*");

    /** gdb's frames per thread: one per physical frame, named after its outermost inlined function. */
    static Map<Integer, List<Frame>> gdbBacktraces(int pid) throws IOException, InterruptedException {
        Map<Integer, List<Frame>> out = new HashMap<>();
        GdbBacktraces.frameLines(pid).forEach((tid, lines) -> {
            List<Frame> current = new ArrayList<>();
            for (String line : lines) {
                Matcher p = PHYSICAL.matcher(line);
                Matcher in = INLINED.matcher(line);
                if (p.matches()) {
                    current.add(new Frame(Long.parseUnsignedLong(p.group(1), 16), p.group(2), null));
                } else if (in.matches() && !current.isEmpty()) {
                    Frame last = current.remove(current.size() - 1);
                    current.add(new Frame(last.address, in.group(1), null));
                }
            }
            out.put(tid, current);
        });
        return out;
    }
}
