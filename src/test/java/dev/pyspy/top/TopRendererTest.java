package dev.pyspy.top;

import org.jline.utils.AttributedString;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopRendererTest {
    private static final TargetInfo TARGET = new TargetInfo(4242, "python3 app.py --fast", "3.12.1", 100, false);

    private static TopStatus status(long errors, String lastError, long intervalTicks) {
        return new TopStatus(TARGET, 1, 3, 1000, 10.0, 99.5, 0.25, 0.5, errors, lastError, intervalTicks);
    }

    private static final TopSnapshot SNAPSHOT = new TopSnapshot(
            List.of(new FrameRow("work", "app.py", 0, 50, 100, 400, 800),
                    new FrameRow("main", "app.py", 0, 0, 100, 0, 1000),
                    new FrameRow("leaf", "util.py", 0, 25, 25, 600, 600)),
            List.of(new FrameRow("work", "app.py", 21, 50, 100, 400, 800)),
            100);

    private static TopRenderer.View view(SortColumn sort, boolean byLine, boolean help, boolean interactive) {
        return new TopRenderer.View(sort, byLine, help, interactive);
    }

    private static List<String> plain(TopStatus s, TopSnapshot snap, TopRenderer.View v) {
        return TopRenderer.renderPlain(s, snap, v, 0);
    }

    @Test
    void headerShowsTheProcessVersionRateSamplesGilActiveAndThreads() {
        List<String> lines = plain(status(0, null, 100), SNAPSHOT, view(SortColumn.OWN_PERCENT, false, false, false));
        assertEquals("pyspy top - PID 4242: python3 app.py --fast - Python 3.12.1", lines.get(0));
        assertEquals("Samples: 1000  Rate: 100/s (achieved 99.5/s)  Elapsed: 10.0s  GIL: 25.00%  Active: 50.00%  Threads: 3",
                lines.get(1));
        assertEquals("Sorted by %Own, one row per function", lines.get(2));
        assertEquals("", lines.get(3));
    }

    @Test
    void theTableIsSortedAndShowsPercentsOfTheIntervalAndSecondsOfAllSamples() {
        List<String> lines = plain(status(0, null, 100), SNAPSHOT, view(SortColumn.OWN_PERCENT, false, false, false));
        assertEquals("    %Own   %Total   OwnTime  TotalTime  Function (filename)", lines.get(4));
        assertEquals("  50.00%  100.00%     4.00s      8.00s  work (app.py)", lines.get(5));
        assertEquals("  25.00%   25.00%     6.00s      6.00s  leaf (util.py)", lines.get(6));
        assertEquals("   0.00%  100.00%     0.00s     10.00s  main (app.py)", lines.get(7));
        assertEquals(8, lines.size());

        List<String> byTotalTime = plain(status(0, null, 100), SNAPSHOT, view(SortColumn.TOTAL_TIME, false, false, false));
        assertEquals("Sorted by TotalTime, one row per function", byTotalTime.get(2));
        assertTrue(byTotalTime.get(5).endsWith("main (app.py)"), byTotalTime.toString());
    }

    @Test
    void perLineRowsShowLineNumbers() {
        List<String> lines = plain(status(0, null, 100), SNAPSHOT, view(SortColumn.OWN_PERCENT, true, false, false));
        assertEquals("Sorted by %Own, one row per line", lines.get(2));
        assertTrue(lines.get(4).endsWith("Function (filename:line)"), lines.get(4));
        assertTrue(lines.get(5).endsWith("work (app.py:21)"), lines.get(5));
    }

    @Test
    void errorsShowTheirRateAndTheLastOne() {
        List<String> lines = plain(status(20, "cannot read\nmemory at 0x10", 100), SNAPSHOT,
                view(SortColumn.OWN_PERCENT, false, false, false));
        assertEquals("Errors: 20 (2.00% of samples)  Last error: cannot read memory at 0x10", lines.get(2));
        assertFalse(String.join("\n", plain(status(0, null, 100), SNAPSHOT,
                view(SortColumn.OWN_PERCENT, false, false, false))).contains("Errors"));
    }

    @Test
    void aNoteAboutAnOptionGetsItsOwnLine() {
        TargetInfo t = new TargetInfo(7, "python3 app.py", "3.13.0", 100, false, "--gil does not apply: no GIL");
        TopStatus s = new TopStatus(t, 1, 1, 10, 1, 10, 0, 0, 0, null, 10);
        assertEquals("Note: --gil does not apply: no GIL",
                plain(s, SNAPSHOT, view(SortColumn.OWN_PERCENT, false, false, false)).get(2));
    }

    @Test
    void subprocessModeShowsTheProcessCount() {
        TargetInfo t = new TargetInfo(7, "python3 pool.py", "3.11.7", 100, true);
        TopStatus s = new TopStatus(t, 4, 9, 10, 1, 10, 0, 0, 0, null, 10);
        assertEquals("pyspy top - PID 7: python3 pool.py - Python 3.11.7 - 4 processes",
                plain(s, SNAPSHOT, view(SortColumn.OWN_PERCENT, false, false, false)).get(0));
    }

    @Test
    void noTicksMeansZeroPercentAndNoRowsSaySo() {
        List<String> lines = plain(status(0, null, 0), SNAPSHOT, view(SortColumn.OWN_PERCENT, false, false, false));
        assertTrue(lines.get(5).startsWith("   0.00%    0.00%     4.00s"), lines.get(5));
        List<String> empty = plain(status(0, null, 0), TopSnapshot.EMPTY, view(SortColumn.OWN_PERCENT, false, false, false));
        assertEquals("(no samples counted yet)", empty.get(5));
    }

    @Test
    void aTerminalViewFitsTheScreenAndShowsTheKeys() {
        List<FrameRow> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(new FrameRow("fn_" + i, "some/deeply/nested/package/with/a/long/path/module.py", 0, i, i, i, i));
        }
        TopSnapshot snap = new TopSnapshot(many, List.of(), 100);
        List<AttributedString> lines = TopRenderer.render(status(0, null, 100), snap,
                view(SortColumn.OWN_PERCENT, false, false, true), 60, 20, 0);
        assertEquals(20, lines.size());
        for (AttributedString l : lines) {
            assertTrue(l.columnLength() <= 60, "'" + l + "' fits 60 columns");
        }
        assertTrue(lines.get(2).toString().startsWith("Sorted by %Own, one row per function    Keys: 1-4"),
                lines.get(2).toString());
        assertEquals(60, lines.get(4).columnLength(), "the heading bar spans the screen");
        assertTrue(lines.get(5).toString().contains("fn_99 (some/"), lines.get(5).toString());
        assertTrue(lines.get(19).toString().contains("fn_85 (some/"), lines.get(19).toString());
    }

    @Test
    void plainSnapshotsCapTheRowsAndSayHowManyAreLeftOut() {
        List<FrameRow> many = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            many.add(new FrameRow("f" + i, "m.py", 0, i, i, i, i));
        }
        List<String> lines = TopRenderer.renderPlain(status(0, null, 100), new TopSnapshot(many, List.of(), 100),
                view(SortColumn.OWN_PERCENT, false, false, false), 10);
        assertEquals(5 + 10 + 1, lines.size());
        assertEquals("(2 more rows)", lines.get(lines.size() - 1));
    }

    @Test
    void helpReplacesTheTable() {
        List<String> lines = TopRenderer.render(status(0, null, 100), SNAPSHOT,
                view(SortColumn.OWN_PERCENT, false, true, true), 120, 50, 0).stream().map(Object::toString).toList();
        String text = String.join("\n", lines);
        assertTrue(text.contains("R          reset the statistics"), text);
        assertFalse(text.contains("work (app.py)"), text);
    }

    @Test
    void controlCharactersInTheCommandLineDoNotBreakTheHeader() {
        TargetInfo t = new TargetInfo(1, "python3 -c import time\nwhile 1:\n\tpass", "3.12.1", 100, false);
        TopStatus s = new TopStatus(t, 1, 1, 0, 0, 0, 0, 0, 0, null, 0);
        assertEquals("pyspy top - PID 1: python3 -c import time while 1:  pass - Python 3.12.1",
                plain(s, TopSnapshot.EMPTY, view(SortColumn.OWN_PERCENT, false, false, false)).get(0));
    }
}
