package dev.pyspy.top;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SortColumnTest {
    // name, own now, total now, own all, total all: each column puts a different row first
    private static final FrameRow A = new FrameRow("a", "f.py", 0, 50, 50, 10, 10);
    private static final FrameRow B = new FrameRow("b", "f.py", 0, 0, 90, 0, 20);
    private static final FrameRow C = new FrameRow("c", "f.py", 0, 10, 10, 300, 300);
    private static final FrameRow D = new FrameRow("d", "f.py", 0, 0, 60, 0, 900);
    private static final List<FrameRow> ROWS = List.of(A, B, C, D);

    private static List<String> names(List<FrameRow> rows) {
        return rows.stream().map(FrameRow::name).toList();
    }

    @Test
    void eachColumnSortsLargestFirst() {
        assertEquals(List.of("a", "c", "b", "d"), names(SortColumn.OWN_PERCENT.sort(ROWS)));
        assertEquals(List.of("b", "d", "a", "c"), names(SortColumn.TOTAL_PERCENT.sort(ROWS)));
        assertEquals(List.of("c", "a", "d", "b"), names(SortColumn.OWN_TIME.sort(ROWS)));
        assertEquals(List.of("d", "c", "b", "a"), names(SortColumn.TOTAL_TIME.sort(ROWS)));
    }

    @Test
    void tiesGoToTheCompanionCountThenCallersBeforeCalleesThenTheLabel() {
        FrameRow outer = new FrameRow("outer", "f.py", 0, 0, 100, 0, 500);
        FrameRow inner = new FrameRow("inner", "f.py", 0, 100, 100, 500, 500);
        FrameRow z = new FrameRow("z", "f.py", 0, 0, 100, 0, 500);
        List<FrameRow> rows = List.of(inner, z, outer);
        assertEquals(List.of("outer", "z", "inner"), names(SortColumn.TOTAL_PERCENT.sort(rows)));
        assertEquals(List.of("outer", "z", "inner"), names(SortColumn.TOTAL_TIME.sort(rows)));
        assertEquals(List.of("inner", "outer", "z"), names(SortColumn.OWN_PERCENT.sort(rows)));
        FrameRow recent = new FrameRow("recent", "f.py", 0, 5, 5, 5, 5);
        FrameRow older = new FrameRow("older", "f.py", 0, 5, 5, 50, 50);
        assertEquals(List.of("older", "recent"), names(SortColumn.OWN_PERCENT.sort(List.of(recent, older))));
        FrameRow line2 = new FrameRow("f", "f.py", 2, 1, 1, 1, 1);
        FrameRow line1 = new FrameRow("f", "f.py", 1, 1, 1, 1, 1);
        assertEquals(List.of(line1, line2), SortColumn.OWN_TIME.sort(List.of(line2, line1)));
    }

    @Test
    void keysOneToFourPickTheColumnsInTableOrder() {
        assertEquals(SortColumn.OWN_PERCENT, SortColumn.forKey(1));
        assertEquals(SortColumn.TOTAL_PERCENT, SortColumn.forKey(2));
        assertEquals(SortColumn.OWN_TIME, SortColumn.forKey(3));
        assertEquals(SortColumn.TOTAL_TIME, SortColumn.forKey(4));
        assertNull(SortColumn.forKey(5));
        assertEquals(List.of("%Own", "%Total", "OwnTime", "TotalTime"),
                List.of(SortColumn.values()).stream().map(SortColumn::title).toList());
    }
}
