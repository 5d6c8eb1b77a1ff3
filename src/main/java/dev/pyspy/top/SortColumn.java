package dev.pyspy.top;

import java.util.Comparator;
import java.util.List;

/**
 * The four numeric columns, each a sort order (keys 1-4), largest first. Ties are broken by the
 * column's companion count and then, for the total columns, callers before callees (less own
 * time first); last by label, so the order is stable from one refresh to the next.
 */
public enum SortColumn {
    OWN_PERCENT("%Own", Comparator.comparingLong(FrameRow::ownNow).reversed()
            .thenComparing(Comparator.comparingLong(FrameRow::ownAll).reversed())
            .thenComparing(Comparator.comparingLong(FrameRow::totalNow).reversed())),
    TOTAL_PERCENT("%Total", Comparator.comparingLong(FrameRow::totalNow).reversed()
            .thenComparing(Comparator.comparingLong(FrameRow::totalAll).reversed())
            .thenComparingLong(FrameRow::ownNow)),
    OWN_TIME("OwnTime", Comparator.comparingLong(FrameRow::ownAll).reversed()
            .thenComparing(Comparator.comparingLong(FrameRow::ownNow).reversed())
            .thenComparing(Comparator.comparingLong(FrameRow::totalAll).reversed())),
    TOTAL_TIME("TotalTime", Comparator.comparingLong(FrameRow::totalAll).reversed()
            .thenComparing(Comparator.comparingLong(FrameRow::totalNow).reversed())
            .thenComparingLong(FrameRow::ownAll));

    private final String title;
    private final Comparator<FrameRow> order;

    SortColumn(String title, Comparator<FrameRow> order) {
        this.title = title;
        this.order = order.thenComparing(FrameRow::name).thenComparing(FrameRow::file)
                .thenComparingInt(FrameRow::line).thenComparing(FrameRow::label); // --opcodes: one row per instruction
    }

    /** The column heading. */
    public String title() {
        return title;
    }

    public Comparator<FrameRow> order() {
        return order;
    }

    /** The rows sorted by this column (a new list). */
    public List<FrameRow> sort(List<FrameRow> rows) {
        return rows.stream().sorted(order).toList();
    }

    /** The column for key '1' to '4', or null. */
    public static SortColumn forKey(int digit) {
        return digit >= 1 && digit <= 4 ? values()[digit - 1] : null;
    }
}
