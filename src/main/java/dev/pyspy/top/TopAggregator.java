package dev.pyspy.top;

import dev.pyspy.util.LongIntMap;

import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.sampler.SampleConsumer;
import dev.pyspy.sampler.SampledProcess;
import dev.pyspy.sampler.TrackedThread;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts samples per function and per line for {@code pyspy top}. Fed on the sampler thread;
 * {@link #snapshot()} and {@link #reset()} are called from the UI thread. Both sides take the same
 * lock, held by the sampler for one stack and by the UI for one copy of the counters per refresh.
 *
 * <p>A frame is looked up by (process, code object id, line) in a primitive hash table that leads
 * to its two counters (its line's and its function's), so a frame seen before costs one lookup and
 * no allocation. Counters are shared by label, so the same function in two processes (with
 * {@code -s}) is one row.
 */
public final class TopAggregator implements SampleConsumer {
    private static final int PROCESS_BITS = 20;
    private static final int CODE_BITS = 24;
    private static final int LINE_BITS = 20;

    private final boolean fullFilenames;
    /** (process, code, line) → slot; keys that do not fit in 64 bits go to {@link #wideSlots}. */
    private final LongIntMap slots = new LongIntMap(4096);
    private final Map<WideKey, Integer> wideSlots = new HashMap<>();
    private Counter[] slotLine = new Counter[1024];
    private Counter[] slotFunction = new Counter[1024];
    private int slotCount;
    private final Map<Label, Counter> lineCounters = new HashMap<>();
    private final Map<Label, Counter> functionCounters = new HashMap<>();
    private final List<Counter> lineList = new ArrayList<>();
    private final List<Counter> functionList = new ArrayList<>();
    /** Counts stacks; a counter stamped with the current value was already counted in this stack. */
    private long stamp;
    /** Ticks with a counted stack in the current interval, and the last such tick. */
    private long ticksNow;
    private long lastTick;

    public TopAggregator(boolean fullFilenames) {
        this.fullFilenames = fullFilenames;
    }

    @Override
    public void accept(long nanosSinceStart, SampledProcess process, TrackedThread thread, RawThreadStack sample) {
        add(nanosSinceStart, process.index(), sample);
    }

    /**
     * Counts one thread's stack (innermost frame first) from the process with the given index,
     * taken at the sampling tick {@code tickNanos} (all stacks of one tick share it).
     */
    public synchronized void add(long tickNanos, int processIndex, RawThreadStack sample) {
        int depth = sample.depth;
        if (depth == 0) {
            return;
        }
        if (tickNanos != lastTick || ticksNow == 0) {
            lastTick = tickNanos;
            ticksNow++;
        }
        long s = ++stamp;
        for (int i = 0; i < depth; i++) {
            int slot = slot(processIndex, sample.codes[i], sample.lines[i]);
            Counter line = slotLine[slot];
            Counter function = slotFunction[slot];
            if (i == 0) {
                line.ownNow++;
                line.ownAll++;
                function.ownNow++;
                function.ownAll++;
            }
            if (line.stamp != s) {
                line.stamp = s;
                line.totalNow++;
                line.totalAll++;
            }
            if (function.stamp != s) {
                function.stamp = s;
                function.totalNow++;
                function.totalAll++;
            }
        }
    }

    /**
     * The counts so far; ends the current interval (the "now" counts start again from zero).
     * Rows that have counted nothing since the last reset are left out.
     */
    public synchronized TopSnapshot snapshot() {
        TopSnapshot snapshot = new TopSnapshot(rows(functionList), rows(lineList), ticksNow);
        ticksNow = 0;
        return snapshot;
    }

    private static List<FrameRow> rows(List<Counter> counters) {
        List<FrameRow> out = new ArrayList<>();
        for (Counter c : counters) {
            if (c.totalAll > 0) {
                out.add(new FrameRow(c.label.name, c.label.file, c.label.line, c.label.column, c.label.instruction,
                        c.ownNow, c.totalNow, c.ownAll, c.totalAll));
            }
            c.ownNow = 0;
            c.totalNow = 0;
        }
        return out;
    }

    /** Sets every count back to zero (the {@code R} key). */
    public synchronized void reset() {
        ticksNow = 0;
        for (List<Counter> list : List.of(lineList, functionList)) {
            for (Counter c : list) {
                c.ownNow = 0;
                c.totalNow = 0;
                c.ownAll = 0;
                c.totalAll = 0;
            }
        }
    }

    private int slot(int processIndex, CodeInfo code, int line) {
        int id = code.id();
        if (processIndex >= 0 && processIndex < (1 << PROCESS_BITS) && id >= 0 && id < (1 << CODE_BITS)
                && line >= 0 && line < (1 << LINE_BITS)) {
            long key = ((long) processIndex << (CODE_BITS + LINE_BITS)) | ((long) id << LINE_BITS) | line;
            int slot = slots.get(key, -1);
            if (slot < 0) {
                slot = newSlot(code, line);
                slots.put(key, slot);
            }
            return slot;
        }
        WideKey key = new WideKey(processIndex, id, line);
        Integer slot = wideSlots.get(key);
        if (slot == null) {
            slot = newSlot(code, line);
            wideSlots.put(key, slot);
        }
        return slot;
    }

    private int newSlot(CodeInfo code, int line) {
        if (slotCount == slotLine.length) {
            slotLine = Arrays.copyOf(slotLine, slotCount * 2);
            slotFunction = Arrays.copyOf(slotFunction, slotCount * 2);
        }
        // a cut's marker (no file) is shown by its name alone
        String file = code.filename() == null ? "" : fullFilenames ? code.filename() : code.shortFilename();
        // --opcodes: a frame labelled by its instruction is a row of its own, per line and per function
        slotLine[slotCount] = counter(new Label(code.name(), file, Math.max(line, 0), code.column(), code.instruction()),
                lineCounters, lineList);
        slotFunction[slotCount] = counter(new Label(code.name(), file, 0, 0, code.instruction()),
                functionCounters, functionList);
        return slotCount++;
    }

    private static Counter counter(Label label, Map<Label, Counter> byLabel, List<Counter> list) {
        Counter c = byLabel.get(label);
        if (c == null) {
            c = new Counter(label);
            byLabel.put(label, c);
            list.add(c);
        }
        return c;
    }

    private record Label(String name, String file, int line, int column, String instruction) {
    }

    private record WideKey(int process, int code, int line) {
    }

    private static final class Counter {
        final Label label;
        long ownNow;
        long totalNow;
        long ownAll;
        long totalAll;
        long stamp;

        Counter(Label label) {
            this.label = label;
        }
    }
}
