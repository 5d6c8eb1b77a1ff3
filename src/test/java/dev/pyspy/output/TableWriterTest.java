package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import dev.pyspy.testing.TableRows;
import dev.pyspy.testing.TableRows.Row;
import org.junit.jupiter.api.Test;

class TableWriterTest {
    static String table(Profile profile, TableOptions options) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new TableWriter(options).write(profile, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void ownAndTotalPerFunctionSortedByOwn() throws IOException {
        String text = table(TestProfiles.heavy(), TableOptions.DEFAULT);
        assertTrue(text.contains("# 200 samples, 8 functions, sorted by own samples"), text);
        assertTrue(text.contains(TableWriter.COLUMNS), text);
        List<Row> rows = TableRows.parse(text);
        assertEquals(new Row(100, 50.0, 100, 50.0, "heavy_b", "heavy.py:10"), rows.get(0));
        assertEquals(new Row(60, 30.0, 90, 45.0, "heavy_a", "heavy.py:3"), rows.get(1));
        assertEquals(new Row(30, 15.0, 30, 15.0, "dot", "/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:8"),
                rows.get(2));
        assertEquals(new Row(10, 5.0, 100, 50.0, "main", "heavy.py:22"), rows.get(3));
        assertTrue(rows.stream().noneMatch(r -> r.function().startsWith("thread")), "thread roots are not functions");
    }

    @Test
    void sortByTotalAndTopRows() throws IOException {
        String text = table(TestProfiles.heavy(), new TableOptions(true, 2));
        List<Row> rows = TableRows.parse(text);
        assertEquals(2, rows.size());
        assertEquals(List.of("heavy_b", "main"), rows.stream().map(Row::function).toList(),
                "100 total each; heavy_b has more own samples");
        assertTrue(text.contains("(top 2 shown), sorted by total samples"), text);
    }

    @Test
    void recursionCountsOncePerSampleInTotal() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        FrameInfo outer = new FrameInfo("fib", "fib.py", 3, 1);
        FrameInfo inner = new FrameInfo("fib", "fib.py", 4, 1);
        TestProfiles.add(p, 4, outer, inner, outer);
        Row fib = TableRows.parse(table(p, TableOptions.DEFAULT)).get(0);
        assertEquals(new Row(4, 100.0, 4, 100.0, "fib", "fib.py:1"), fib);
    }

    @Test
    void framesReadBackFromCollapsedStacksGroupAtTheirLowestLine() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 3, new FrameInfo("f", "a.py", 12, 0));
        TestProfiles.add(p, 1, new FrameInfo("f", "a.py", 9, 0));
        assertEquals(new Row(4, 100.0, 4, 100.0, "f", "a.py:9"), TableRows.parse(table(p, TableOptions.DEFAULT)).get(0));
    }
}
