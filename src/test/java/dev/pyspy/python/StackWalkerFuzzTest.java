package dev.pyspy.python;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes the frame walker ({@link StackWalker} with {@link CodeCache}, {@link PyObjects} and
 * {@link ThreadNames}, i.e. everything one sample reads) over memory that lies: for every layout
 * table, pseudo-random address spaces; for every interpreter on the machine, the exact bytes a real
 * walk of a live process read, mutated (pointers redirected into other structures, onto themselves
 * or nowhere, lengths and kinds made absurd, bits flipped, ranges made unreadable).
 *
 * <p>Every walk must end within a bounded number of reads and bytes and a bounded allocation, may
 * fail only with {@link MemoryReadException} or {@link PyspyException}, and whatever it returns must
 * be well-formed (code objects present, lines not negative, depths and names within their limits).
 *
 * <p>Reproducible: {@code -Dpyspy.fuzz.seed=N} (default fixed), {@code -Dpyspy.fuzz.iterations=N}
 * mutated walks per interpreter, {@code -Dpyspy.fuzz.random=N} random images per table.
 */
@Timeout(900)
@NeedsRoot
class StackWalkerFuzzTest {
    private static final long SEED = Long.getLong("pyspy.fuzz.seed", 0x5eed_2026L);
    private static final int ITERATIONS = Integer.getInteger("pyspy.fuzz.iterations", 1500);
    private static final int RANDOM_IMAGES = Integer.getInteger("pyspy.fuzz.random", 400);
    /** What one walk (all threads) plus one thread-name refresh may read at most. */
    static final long MAX_READS = 1_000_000;
    static final long MAX_BYTES = 512L << 20;
    /** What one walk may allocate at most. */
    static final long MAX_ALLOCATED = 256L << 20;

    private static final Set<String> FUZZED_REAL = ConcurrentHashMap.newKeySet();
    private static final Map<String, String> STATS = new TreeMap<>();
    private static Path scripts;
    private static Path emptyRoot;

    @BeforeAll
    static void setUp() throws Exception {
        scripts = TargetProcess.scripts("stacks_target.py", "unicode_target.py");
        emptyRoot = Files.createTempDirectory("pyspy-fuzz-root");
    }

    @AfterAll
    static void report() {
        STATS.forEach((k, v) -> System.out.println("fuzz " + k + ": " + v));
    }

    static List<String> tables() {
        return LayoutData.BUNDLED.tables();
    }

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    /** One walker and its readers over a memory, as PythonProcess builds them. */
    private record Pipeline(StackWalker walker, ThreadNames names) {
        static Pipeline over(ProcessMemory memory, Layout layout, PythonVersion version, long interp, long codeType,
                             GilFactory gil) throws PyspyException {
            PyObjects objects = new PyObjects(memory, layout, version);
            CodeCache codes = new CodeCache(memory, layout, objects, new ShortFilenames(emptyRoot, emptyRoot), codeType);
            return new Pipeline(new StackWalker(memory, layout, interp, codes, gil.create(memory)),
                    new ThreadNames(memory, objects, layout, interp));
        }
    }

    private interface GilFactory {
        GilReader create(ProcessMemory memory) throws PyspyException;
    }

    /** The result of fuzzing one image source: walks, how they ended, the most any walk read. */
    private static final class Tally {
        int walks;
        int completed;
        int readErrors;
        long maxReads;
        long maxBytes;
        long maxAllocated;
        long maxFrames;
        final List<String> failures = new ArrayList<>();
        /** How walks that failed failed: message without its numbers, and how often. */
        final Map<String, Integer> errors = new TreeMap<>();

        void error(PyspyException e) {
            readErrors++;
            String m = String.valueOf(e.getMessage()).replaceAll("0x[0-9a-f]+|-?\\d+", "N");
            errors.merge(m.length() > 70 ? m.substring(0, 70) : m, 1, Integer::sum);
        }

        @Override
        public String toString() {
            return walks + " walks, " + completed + " completed, " + readErrors + " read errors; max per walk: "
                    + maxReads + " reads, " + maxBytes + " bytes, " + maxAllocated + " bytes allocated, "
                    + maxFrames + " frames; errors " + errors;
        }
    }

    // ------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("tables")
    void randomMemoryNeverHangsOrThrowsAnythingButReadErrors(String table) throws Exception {
        Layout layout = LayoutData.BUNDLED.table(table);
        String[] mm = table.replace("t", "").split("\\.");
        PythonVersion version = PythonVersion.of(Integer.parseInt(mm[0]), Integer.parseInt(mm[1]), 0)
                .withFreeThreaded(table.endsWith("t"));
        Tally tally = new Tally();
        SplittableRandom random = new SplittableRandom(SEED ^ table.hashCode());
        for (int i = 0; i < RANDOM_IMAGES; i++) {
            long seed = random.nextLong();
            // half: a few regions mapped (most walks fail somewhere); half: everything is mapped, so
            // walks go on until a limit of the walker stops them
            FuzzMemory.Random memory = new FuzzMemory.Random(seed, i % 2 == 1, MAX_READS, MAX_BYTES);
            long interp = FuzzMemory.Random.pointer(seed);
            // half the time the code type is known (symbol), half it is found by name (stripped builds)
            long codeType = random.nextBoolean() ? memory.hotType() : 0;
            Pipeline p = Pipeline.over(memory, layout, version, interp, codeType,
                    m -> gilOrNone(m, layout, version, FuzzMemory.Random.pointer(seed >>> 3), interp));
            walkTwice(p, memory, tally, "table " + table + " random image seed " + seed);
        }
        record("random " + table, tally);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void mutatedImagesOfARealWalkNeverHangOrThrowAnythingButReadErrors(Interpreter python) throws Exception {
        try (TargetProcess target = TargetProcess.start(python, scripts.resolve("stacks_target.py"))) {
            target.truth(60);
            PythonProcess process = PythonProcess.attach(target.pid());
            Layout layout = process.layout();
            PythonVersion version = process.version();
            long interp = process.interpreter();
            long codeType = process.binary().symbolAddress("PyCode_Type");
            long runtime = process.binary().symbolAddress("_PyRuntime");
            GilFactory gil = m -> GilReader.create(m, layout, version, process.binary(), runtime, interp);

            // capture: every byte two real walks and a name refresh read, with the target stopped by
            // SIGSTOP (not ptrace: this JVM's process reaper would take the stops of a child it traces)
            FuzzMemory.Recording recording = new FuzzMemory.Recording(process.memory());
            Pipeline real = Pipeline.over(recording, layout, version, interp, codeType, gil);
            RawStacks snapshot = new RawStacks();
            int threads;
            signal(target.pid(), "STOP");
            try {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (TargetProcess.state(target.pid()) != 'T' && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals('T', TargetProcess.state(target.pid()), "the target stopped by SIGSTOP");
                real.walker().walk(snapshot);
                real.walker().walk(snapshot);
                real.names().refresh();
                threads = snapshot.threadCount();
            } finally {
                signal(target.pid(), "CONT");
            }
            assertTrue(threads >= 6, "the real walk found the target's threads: " + threads);
            FuzzMemory.Image image = recording.image;

            // the unmutated image walks like the process did
            FuzzMemory.Mutated clean = new FuzzMemory.Mutated(image, MAX_READS, MAX_BYTES);
            Pipeline replay = Pipeline.over(clean, layout, version, interp, codeType, gil);
            RawStacks again = new RawStacks();
            replay.walker().walk(again);
            assertTrue(again.threadCount() == threads, "replaying the image finds the same threads");

            List<Long> pointers = image.pointerSlots();
            Tally tally = new Tally();
            SplittableRandom random = new SplittableRandom(SEED ^ python.toString().hashCode());
            for (int i = 0; i < ITERATIONS; i++) {
                long seed = random.nextLong();
                FuzzMemory.Mutated memory = new FuzzMemory.Mutated(image, MAX_READS, MAX_BYTES);
                String what = mutate(memory, image, pointers, new SplittableRandom(seed));
                Pipeline p = Pipeline.over(memory, layout, version, interp, codeType, gil);
                walkTwice(p, memory, tally, python + " mutation seed " + seed + ": " + what);
            }
            String key = version.majorMinor() + (version.freeThreaded() ? "t" : "");
            FUZZED_REAL.add(key);
            record("real " + key + " " + python + " (image " + image.segments.size() + " ranges, "
                    + image.totalBytes() + " bytes)", tally);
        }
    }

    /** Found by this fuzzer: an f_lasti of Integer.MIN_VALUE matched an empty slot of the line memo. */
    @org.junit.jupiter.api.Test
    void anyInstructionGivesALineThatIsNotNegative() {
        for (CodeInfo.LineFormat format : CodeInfo.LineFormat.values()) {
            CodeInfo code = new CodeInfo(0, 0x1000, "f", "f.py", "f.py", 7, new byte[] {2, 1, 4, 2}, format);
            for (int instruction : new int[] {Integer.MIN_VALUE, -1, 0, 1, 3, 1 << 20, Integer.MAX_VALUE}) {
                assertTrue(code.lineAt(instruction) >= 0, format + " at " + instruction);
                assertTrue(code.lineAt(instruction) >= 0, format + " at " + instruction + ", memoized");
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    private static void signal(int pid, String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, Integer.toString(pid)).inheritIO().start().waitFor();
    }

    private static GilReader gilOrNone(ProcessMemory m, Layout layout, PythonVersion version, long runtime, long interp) {
        try {
            if (layout.has("PyInterpreterState.gil") || layout.has("_PyRuntimeState.tstate_current")) {
                return GilReader.create(m, layout, version, null, runtime, interp);
            }
        } catch (PyspyException | RuntimeException e) {
            // fall through: no GIL holder
        }
        return GilReader.none(m);
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Two walks (the second takes the cached paths) and a name refresh; checks everything said above. */
    private static void walkTwice(Pipeline p, FuzzMemory.Counting memory, Tally tally, String what) {
        RawStacks snapshot = new RawStacks();
        for (int round = 0; round < 2; round++) {
            memory.resetCounts();
            long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
            tally.walks++;
            try {
                p.walker().walk(snapshot);
                tally.maxFrames = Math.max(tally.maxFrames, checkWellFormed(snapshot, what));
                p.names().refresh();
                tally.completed++;
            } catch (PyspyException e) {
                tally.error(e); // MemoryReadException included
            } catch (FuzzMemory.BudgetExceeded | RuntimeException | OutOfMemoryError | StackOverflowError e) {
                failure(tally, what + " (walk " + (round + 1) + ")", e);
                return;
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
            tally.maxReads = Math.max(tally.maxReads, memory.reads);
            tally.maxBytes = Math.max(tally.maxBytes, memory.bytes);
            tally.maxAllocated = Math.max(tally.maxAllocated, allocated);
            if (allocated > MAX_ALLOCATED) {
                failure(tally, what + " (walk " + (round + 1) + ")",
                        new AssertionError("allocated " + allocated + " bytes in one walk"));
                return;
            }
        }
    }

    /** Fails unless every thread's frames are complete and within limits; returns the frames seen. */
    private static long checkWellFormed(RawStacks s, String what) {
        long frames = 0;
        for (int i = 0; i < s.threadCount(); i++) {
            RawThreadStack t = s.thread(i);
            if (t.depth < 0 || t.depth > RawThreadStack.MAX_FRAMES) {
                throw new IllegalStateException("thread depth " + t.depth);
            }
            frames += t.depth;
            for (int f = 0; f < t.depth; f++) {
                CodeInfo c = t.codes[f];
                if (c == null || c.name() == null || c.filename() == null || t.lines[f] < 0) {
                    throw new IllegalStateException("malformed frame " + f + " of thread " + i + ": " + c);
                }
                if (c.name().codePointCount(0, c.name().length()) > DisplayText.MAX_CHARS + 1
                        || c.filename().codePointCount(0, c.filename().length()) > DisplayText.MAX_CHARS + 1) {
                    throw new IllegalStateException("name longer than the limit in frame " + f);
                }
            }
        }
        return frames;
    }

    private static void failure(Tally tally, String what, Throwable e) {
        if (tally.failures.size() < 5) {
            java.io.StringWriter sw = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(sw));
            String trace = sw.toString().lines().limit(12).reduce((a, b) -> a + "\n" + b).orElse("");
            tally.failures.add(what + "\n" + trace);
        } else if (tally.failures.size() == 5) {
            tally.failures.add("...");
        }
    }

    private static void record(String key, Tally tally) {
        synchronized (STATS) {
            STATS.put(key, tally.toString());
        }
        if (!tally.failures.isEmpty()) {
            fail(tally.failures.size() + "+ walks failed (" + tally + "):\n\n" + String.join("\n\n", tally.failures));
        }
    }

    // ------------------------------------------------------------------------------------------

    /** Applies 1-6 random mutations to {@code m}; returns what was done, for the failure message. */
    static String mutate(FuzzMemory.Mutated m, FuzzMemory.Image image, List<Long> pointers, SplittableRandom r) {
        StringBuilder what = new StringBuilder();
        int n = 1 + r.nextInt(6);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(100);
            if (kind < 40 && !pointers.isEmpty()) {
                long slot = pointers.get(r.nextInt(pointers.size()));
                long value = switch (r.nextInt(10)) {
                    case 0, 1, 2, 3, 4 -> image.randomAddress(r) & ~7L;   // into another structure
                    case 5 -> 0;                                           // a null
                    case 6 -> slot;                                        // onto itself: a cycle
                    case 7 -> slot + 8L * (r.nextInt(129) - 64);           // a little off
                    case 8 -> r.nextLong();                                // anywhere
                    default -> r.nextBoolean() ? -1L : 1L << 62;           // absurd
                };
                m.putLong(slot, value);
                what.append(String.format("pointer@%x=%x ", slot, value));
            } else if (kind < 60) {
                long at = image.randomAddress(r) & ~7L;
                long value = switch (r.nextInt(6)) {
                    case 0 -> r.nextInt(64);
                    case 1 -> 1L << (16 + r.nextInt(47));
                    case 2 -> -1L - r.nextInt(1000);
                    case 3 -> Long.MAX_VALUE;
                    case 4 -> Long.MIN_VALUE;
                    default -> r.nextLong();
                };
                m.putLong(at, value);
                what.append(String.format("word@%x=%x ", at, value));
            } else if (kind < 75) {
                long at = image.randomAddress(r);
                int bit = r.nextInt(8);
                Byte old = m.changed.get(at);
                byte base = old != null ? old : byteAt(image, at);
                m.changed.put(at, (byte) (base ^ (1 << bit)));
                what.append(String.format("flip@%x.%d ", at, bit));
            } else if (kind < 85) {
                long at = image.randomAddress(r) & ~3L;
                int value = switch (r.nextInt(5)) {
                    case 0 -> 0;
                    case 1 -> -1;
                    case 2 -> Integer.MAX_VALUE;
                    case 3 -> Integer.MIN_VALUE;
                    default -> r.nextInt();
                };
                m.putInt(at, value);
                what.append(String.format("int@%x=%x ", at, value));
            } else if (kind < 95) {
                long at = image.randomAddress(r);
                long length = 1 + r.nextInt(512);
                m.unreadable.add(new long[] {at, at + length});
                what.append(String.format("unreadable@%x+%d ", at, length));
            } else {
                long at = image.randomAddress(r) & ~7L;
                for (int k = 0; k < 64; k += 8) {
                    m.putLong(at + k, 0);
                }
                what.append(String.format("zeros@%x+64 ", at));
            }
        }
        return what.toString().trim();
    }

    private static byte byteAt(FuzzMemory.Image image, long at) {
        Map.Entry<Long, byte[]> e = image.segments.floorEntry(at);
        return e.getValue()[(int) (at - e.getKey())];
    }
}
