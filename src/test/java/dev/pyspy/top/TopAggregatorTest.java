package dev.pyspy.top;

import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.RawThreadStack;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.pyspy.top.Stacks.code;
import static dev.pyspy.top.Stacks.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopAggregatorTest {
    private static final CodeInfo MODULE = code(0, "<module>", "/app/pkg/app.py", 1);
    private static final CodeInfo MAIN = code(1, "main", "/app/pkg/app.py", 10);
    private static final CodeInfo WORK = code(2, "work", "/app/pkg/app.py", 20);
    private static final CodeInfo LEAF = code(3, "leaf", "/app/pkg/util.py", 5);
    private static final CodeInfo REC = code(4, "rec", "/app/pkg/app.py", 30);

    private static Map<String, FrameRow> byLabel(List<FrameRow> rows) {
        return rows.stream().collect(Collectors.toMap(FrameRow::label, Function.identity()));
    }

    @Test
    void ownCountsTheInnermostFrameAndTotalEveryFrameOnTheStack() {
        TopAggregator a = new TopAggregator(false);
        a.add(1, 0, stack(MODULE, 2, MAIN, 12, WORK, 21));
        a.add(2, 0, stack(MODULE, 2, MAIN, 12, WORK, 22, LEAF, 6));
        a.add(3, 0, stack(MODULE, 2, MAIN, 13));
        Map<String, FrameRow> f = byLabel(a.snapshot().functions());
        assertEquals(4, f.size(), f.toString());
        assertCounts(f.get("<module> (app.py)"), 0, 3);
        assertCounts(f.get("main (app.py)"), 1, 3);
        assertCounts(f.get("work (app.py)"), 1, 2);
        assertCounts(f.get("leaf (util.py)"), 1, 1);
    }

    @Test
    void perLineRowsSplitAFunctionByLineAndPerFunctionRowsMergeThem() {
        TopAggregator a = new TopAggregator(false);
        a.add(1, 0, stack(MAIN, 12, WORK, 21));
        a.add(2, 0, stack(MAIN, 12, WORK, 21));
        a.add(3, 0, stack(MAIN, 12, WORK, 22));
        TopSnapshot s = a.snapshot();
        Map<String, FrameRow> lines = byLabel(s.lines());
        assertEquals(3, lines.size(), lines.toString());
        assertCounts(lines.get("work (app.py:21)"), 2, 2);
        assertCounts(lines.get("work (app.py:22)"), 1, 1);
        assertCounts(lines.get("main (app.py:12)"), 0, 3);
        assertEquals(21, lines.get("work (app.py:21)").line());
        Map<String, FrameRow> functions = byLabel(s.functions());
        assertCounts(functions.get("work (app.py)"), 3, 3);
        assertEquals(0, functions.get("work (app.py)").line());
    }

    @Test
    void recursionCountsAFunctionOnceInTotalPerSample() {
        TopAggregator a = new TopAggregator(false);
        // rec calls itself from line 31 three times, then runs line 32
        a.add(1, 0, stack(MAIN, 12, REC, 31, REC, 31, REC, 31, REC, 32));
        a.add(2, 0, stack(MAIN, 12, REC, 31, REC, 32));
        TopSnapshot s = a.snapshot();
        assertCounts(byLabel(s.functions()).get("rec (app.py)"), 2, 2);
        Map<String, FrameRow> lines = byLabel(s.lines());
        assertCounts(lines.get("rec (app.py:31)"), 0, 2);
        assertCounts(lines.get("rec (app.py:32)"), 2, 2);
    }

    @Test
    void snapshotEndsTheIntervalButKeepsTheRunningTotals() {
        TopAggregator a = new TopAggregator(false);
        a.add(1, 0, stack(MAIN, 12, WORK, 21));
        a.add(2, 0, stack(MAIN, 12, WORK, 21));
        TopSnapshot first = a.snapshot();
        assertEquals(2, first.ticks());
        a.add(3, 0, stack(MAIN, 12, LEAF, 6));
        TopSnapshot second = a.snapshot();
        assertEquals(1, second.ticks());
        Map<String, FrameRow> f = byLabel(second.functions());
        FrameRow work = f.get("work (app.py)");
        assertEquals(0, work.ownNow());
        assertEquals(0, work.totalNow());
        assertEquals(2, work.ownAll());
        assertEquals(2, work.totalAll());
        FrameRow main = f.get("main (app.py)");
        assertEquals(1, main.totalNow());
        assertEquals(3, main.totalAll());
        assertEquals(1, f.get("leaf (util.py)").ownNow());
    }

    @Test
    void stacksOfOneTickCountAsOneTick() {
        TopAggregator a = new TopAggregator(false);
        a.add(100, 0, stack(MAIN, 12)); // two threads sampled in the same tick
        a.add(100, 0, stack(WORK, 21));
        a.add(200, 1, stack(WORK, 21)); // the next tick, another process
        TopSnapshot s = a.snapshot();
        assertEquals(2, s.ticks());
        assertCounts(byLabel(s.functions()).get("work (app.py)"), 2, 2);
    }

    @Test
    void resetForgetsEverything() {
        TopAggregator a = new TopAggregator(false);
        a.add(1, 0, stack(MAIN, 12, WORK, 21));
        a.reset();
        TopSnapshot s = a.snapshot();
        assertTrue(s.functions().isEmpty(), s.toString());
        assertTrue(s.lines().isEmpty(), s.toString());
        assertEquals(0, s.ticks());
        a.add(2, 0, stack(MAIN, 12));
        Map<String, FrameRow> f = byLabel(a.snapshot().functions());
        assertEquals(1, f.size(), f.toString());
        assertCounts(f.get("main (app.py)"), 1, 1);
    }

    @Test
    void theSameFunctionInTwoProcessesIsOneRow() {
        TopAggregator a = new TopAggregator(false);
        CodeInfo workInOtherProcess = code(77, "work", "/app/pkg/app.py", 20);
        a.add(1, 0, stack(WORK, 21));
        a.add(1, 1, stack(workInOtherProcess, 21));
        // the same code id in another process is another function
        a.add(1, 1, stack(code(2, "other", "/app/pkg/other.py", 1), 3));
        Map<String, FrameRow> f = byLabel(a.snapshot().functions());
        assertCounts(f.get("work (app.py)"), 2, 2);
        assertCounts(f.get("other (other.py)"), 1, 1);
    }

    @Test
    void fullFilenamesShowWholePaths() {
        TopAggregator a = new TopAggregator(true);
        a.add(1, 0, stack(LEAF, 6));
        assertEquals("leaf (/app/pkg/util.py:6)", a.snapshot().lines().get(0).label());
    }

    @Test
    void unusualIdsAndLinesStillGetTheirOwnRows() {
        TopAggregator a = new TopAggregator(false);
        CodeInfo notCode = code(-1, "?", "?", 0);
        CodeInfo bigId = code(1 << 30, "big", "/big.py", 1);
        a.add(1, 5_000_000, stack(notCode, 0, bigId, 3_000_000));
        a.add(2, 0, stack(MAIN, 0)); // an instruction without a line
        Map<String, FrameRow> lines = byLabel(a.snapshot().lines());
        assertCounts(lines.get("big (big.py:3000000)"), 1, 1);
        assertCounts(lines.get("? (?)"), 0, 1);
        assertCounts(lines.get("main (app.py)"), 1, 1);
    }

    @Test
    void emptyStacksAreNotCounted() {
        TopAggregator a = new TopAggregator(false);
        a.add(1, 0, new RawThreadStack());
        TopSnapshot s = a.snapshot();
        assertTrue(s.functions().isEmpty());
        assertEquals(0, s.ticks());
    }

    @Test
    void framesSeenBeforeAllocateNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        TopAggregator a = new TopAggregator(false);
        RawThreadStack deep = stack(MODULE, 2, MAIN, 12, WORK, 21, REC, 31, REC, 31, REC, 32, LEAF, 6);
        for (int i = 0; i < 20_000; i++) {
            a.add(i, 0, deep); // warm up: interning and JIT
        }
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 100_000; i++) {
            a.add(i, 0, deep);
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 10_000, "adding 100k known stacks allocated " + allocated + " bytes");
    }

    @Test
    void theUiThreadReadsConsistentCountsWhileTheSamplerAdds() throws Exception {
        TopAggregator a = new TopAggregator(false);
        int n = 200_000;
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            RawThreadStack s1 = stack(MAIN, 12, WORK, 21);
            RawThreadStack s2 = stack(MAIN, 12, LEAF, 6);
            for (int i = 0; i < n; i++) {
                a.add(i, 0, i % 2 == 0 ? s1 : s2);
            }
            done.set(true);
        });
        sampler.start();
        long ownSum = 0;
        long ticks = 0;
        long lastAll = 0;
        while (true) {
            boolean finished = done.get();
            TopSnapshot s = a.snapshot();
            ticks += s.ticks();
            for (FrameRow r : s.functions()) {
                ownSum += r.ownNow();
                assertTrue(r.ownNow() <= r.totalNow() || r.name().equals("main"), r.toString());
            }
            FrameRow main = byLabel(s.functions()).get("main (app.py)");
            if (main != null) {
                long all = main.totalAll();
                assertTrue(all >= lastAll, "running totals never go back");
                lastAll = all;
                // in every stack of one snapshot, main is on the stack: its total is the sum of leaves' own
                long leaves = s.functions().stream().filter(r -> !r.name().equals("main")).mapToLong(FrameRow::ownAll).sum();
                assertEquals(all, leaves, "a snapshot never sees half a stack");
            }
            if (finished) {
                break;
            }
        }
        sampler.join();
        assertEquals(n, ownSum, "every stack counted in exactly one interval");
        assertEquals(n, ticks);
        assertEquals(n, lastAll);
        assertFalse(sampler.isAlive());
    }

    /**
     * {@code --opcodes}: a frame labelled by its instruction is a row of its own, per function (by
     * opcode) and per line (by column and opcode); the same instruction in two samples is one row.
     */
    @Test
    void framesLabelledByInstructionAreRowsOfTheirOwn() {
        CodeInfo lookup = WORK.atInstruction(10, 9, "BINARY_SUBSCR_DICT [BINARY_SUBSCR]");
        CodeInfo loop = WORK.atInstruction(11, 0, "FOR_ITER");
        CodeInfo call = MAIN.atInstruction(12, 5, "CALL_PY_EXACT_ARGS [CALL]");
        TopAggregator a = new TopAggregator(false);
        a.add(1, 0, stack(call, 12, lookup, 21));
        a.add(2, 0, stack(call, 12, lookup, 21));
        a.add(3, 0, stack(call, 12, loop, 22));
        TopSnapshot s = a.snapshot();
        Map<String, FrameRow> functions = byLabel(s.functions());
        assertEquals(3, functions.size(), functions.toString());
        assertCounts(functions.get("work (app.py) BINARY_SUBSCR_DICT [BINARY_SUBSCR]"), 2, 2);
        assertCounts(functions.get("work (app.py) FOR_ITER"), 1, 1);
        assertCounts(functions.get("main (app.py) CALL_PY_EXACT_ARGS [CALL]"), 0, 3);
        Map<String, FrameRow> lines = byLabel(s.lines());
        assertCounts(lines.get("work (app.py:21:9) BINARY_SUBSCR_DICT [BINARY_SUBSCR]"), 2, 2);
        assertCounts(lines.get("work (app.py:22) FOR_ITER"), 1, 1);
        assertCounts(lines.get("main (app.py:12:5) CALL_PY_EXACT_ARGS [CALL]"), 0, 3);
    }

    private static void assertCounts(FrameRow row, long own, long total) {
        assertTrue(row != null, "row missing");
        assertEquals(own, row.ownNow(), "own now of " + row);
        assertEquals(total, row.totalNow(), "total now of " + row);
        assertEquals(own, row.ownAll(), "own of " + row);
        assertEquals(total, row.totalAll(), "total of " + row);
    }
}
