package dev.pyspy.output;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples per function: own (the function was the leaf) and total (it was anywhere on the stack,
 * counted once per sample however deep it recursed). A function is (name, shown file, first line);
 * frames read back from collapsed stacks do not know their first line, and are grouped by (name, file)
 * at the lowest line seen. Synthetic roots ({@code -t}, {@code -s}) are not functions.
 */
public final class FunctionStats {

    /** One function's counts; {@code line} is its first line, or the lowest line sampled when unknown. */
    public static final class Row {
        private final String name;
        private final String filename;
        private final String path;
        private int line;
        private long own;
        private long total;
        private int seenInSample = -1;

        Row(FrameInfo frame) {
            this.name = frame.name();
            this.filename = frame.filename();
            this.path = frame.path();
            this.line = frame.firstLine() > 0 ? frame.firstLine() : frame.line();
        }

        public String name() {
            return name;
        }

        public String filename() {
            return filename;
        }

        public String path() {
            return path;
        }

        public int line() {
            return line;
        }

        public long own() {
            return own;
        }

        public long total() {
            return total;
        }

        /** {@code file:line}, or the file alone when no line is known. */
        public String location() {
            return line > 0 ? filename + ":" + line : filename;
        }
    }

    private record Key(String name, String filename, int firstLine) {
    }

    private final List<Row> rows;
    private final long totalSamples;

    private FunctionStats(List<Row> rows, long totalSamples) {
        this.rows = rows;
        this.totalSamples = totalSamples;
    }

    public static FunctionStats of(Profile profile) {
        Map<Key, Row> byKey = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        Row[] rowOfFrame = new Row[profile.frames().size()];
        for (int i = 0; i < rowOfFrame.length; i++) {
            FrameInfo f = profile.frame(i);
            if (f.isSynthetic()) {
                continue;
            }
            Row row = byKey.computeIfAbsent(new Key(f.name(), f.filename(), f.firstLine()), k -> {
                Row r = new Row(f);
                rows.add(r);
                return r;
            });
            if (f.firstLine() <= 0 && f.line() > 0 && (row.line <= 0 || f.line() < row.line)) {
                row.line = f.line();
            }
            rowOfFrame[i] = row;
        }
        long all = 0;
        for (int s = 0; s < profile.stackCount(); s++) {
            long count = profile.count(s);
            if (count == 0) {
                continue;
            }
            all += count;
            int[] stack = profile.stack(s);
            for (int id : stack) {
                Row row = rowOfFrame[id];
                if (row != null && row.seenInSample != s) {
                    row.seenInSample = s;
                    row.total += count;
                }
            }
            if (stack.length > 0 && rowOfFrame[stack[stack.length - 1]] != null) {
                rowOfFrame[stack[stack.length - 1]].own += count;
            }
        }
        return new FunctionStats(rows, all);
    }

    /** Every function, by own samples (or total), then the other count, then name and location. */
    public List<Row> sorted(boolean byTotal) {
        Comparator<Row> own = Comparator.comparingLong(Row::own).reversed();
        Comparator<Row> total = Comparator.comparingLong(Row::total).reversed();
        Comparator<Row> order = (byTotal ? total.thenComparing(own) : own.thenComparing(total))
                .thenComparing(Row::name).thenComparing(Row::location);
        List<Row> out = new ArrayList<>(rows);
        out.sort(order);
        return out;
    }

    public long totalSamples() {
        return totalSamples;
    }
}
