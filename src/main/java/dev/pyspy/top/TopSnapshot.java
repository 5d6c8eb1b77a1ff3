package dev.pyspy.top;

import java.util.List;

/**
 * The counts at one refresh, both ways: per function and per line (so switching costs nothing).
 * Rows are in no particular order; see {@link SortColumn}.
 *
 * @param ticks sampling ticks of the interval in which at least one stack was counted
 */
public record TopSnapshot(List<FrameRow> functions, List<FrameRow> lines, long ticks) {
    public static final TopSnapshot EMPTY = new TopSnapshot(List.of(), List.of(), 0);

    public TopSnapshot {
        functions = List.copyOf(functions);
        lines = List.copyOf(lines);
    }

    public List<FrameRow> rows(boolean byLine) {
        return byLine ? lines : functions;
    }
}
