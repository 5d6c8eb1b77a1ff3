package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CollapsedStackReaderTest {

    static Profile read(String text) throws IOException {
        return new CollapsedStackReader("test", 0.01).read(new StringReader(text), "test.txt");
    }

    @Test
    void parsesPythonLabelsWithAndWithoutLines() {
        assertEquals(new FrameInfo("heavy_a", "heavy.py", 5, 0), CollapsedStackReader.parseFrame("heavy_a (heavy.py:5)"));
        assertEquals(new FrameInfo("f", "my file.py", 0, 0), CollapsedStackReader.parseFrame("f (my file.py)"));
        assertEquals(new FrameInfo("<lambda>", "C:\\src\\app.py", 3, 0),
                CollapsedStackReader.parseFrame("<lambda> (C:\\src\\app.py:3)"));
        assertEquals(new FrameInfo("Thread-1 (worker)", "x.py", 2, 0),
                CollapsedStackReader.parseFrame("Thread-1 (worker) (x.py:2)"));
    }

    @Test
    void keepsOtherLabelsVerbatimAsSyntheticFrames() {
        for (String label : List.of("thread (140245): MainThread", "thread (7)", "process 1:\"python x.py\"",
                "f (x.py:0)", "main", "f ()", "odd (12)")) {
            FrameInfo f = CollapsedStackReader.parseFrame(label);
            assertTrue(f.isSynthetic(), label);
            assertEquals(label, f.label());
        }
    }

    @Test
    void takesTheLastTokenAsCountAndKeepsSpacesInFrames() throws IOException {
        Profile p = read("a (x.py:1);b c (my dir/y.py:2) 4\n");
        assertEquals(4, p.sampleCount());
        int[] stack = p.stack(p.sampleStack(0));
        assertEquals(2, stack.length);
        assertEquals(new FrameInfo("b c", "my dir/y.py", 2, 0), p.frame(stack[1]));
    }

    @Test
    void skipsBlankLinesCommentsAndZeroCounts() throws IOException {
        Profile p = read("\uFEFF# comment\n\n   \na 2\r\nb 0\nc 1\n");
        assertEquals(Map.of("a", 2L, "c", 1L), RawWriter.collapse(p));
    }

    @Test
    void rejectsLinesWithoutACountNamingTheLine() {
        IOException e = assertThrows(IOException.class, () -> read("a 1\nfoo;bar\n"));
        assertTrue(e.getMessage().startsWith("test.txt:2:"), e.getMessage());
        IOException e2 = assertThrows(IOException.class, () -> read("a;b x\n"));
        assertTrue(e2.getMessage().contains("'x'"), e2.getMessage());
        assertThrows(IOException.class, () -> read("a -3\n"));
    }

    @Test
    void acceptsFractionalCountsByRounding() throws IOException {
        assertEquals(3, read("a 2.6\n").sampleCount());
    }

    @Test
    void assignsSamplesToThreadsFromThreadAndProcessRoots() throws IOException {
        Profile p;
        try (InputStream in = getClass().getResourceAsStream("/output/pyspy-raw.txt")) {
            p = new CollapsedStackReader("raw", 0.01)
                    .read(new InputStreamReader(in, StandardCharsets.UTF_8), "pyspy-raw.txt");
        }
        assertEquals(List.of(new ProfileThread(31337, 140245, "MainThread"),
                new ProfileThread(31337, 140246, "Thread-1 (worker)")), p.threads());
        assertEquals(12 + 30 + 25 + 8 + 3, p.sampleCount());
        long main = 0;
        for (int i = 0; i < p.sampleCount(); i++) {
            if (p.sampleThread(i) == 0) {
                main++;
            }
        }
        assertEquals(42, main);
        assertTrue(p.frames().contains(new FrameInfo("json_dumps",
                "/srv/venv/lib/python3.12/site-packages/orjson/__init__.py", 0, 0)));
        assertTrue(p.frames().contains(new FrameInfo("compute", "my app/weird name.py", 7, 0)));
    }

    @Test
    void linesWithoutThreadRootGoToOneThread() throws IOException {
        Profile p = read("a;b 2\nc 1\n");
        assertEquals(List.of(new ProfileThread(0, 0, "all")), p.threads());
    }

    @Test
    void spreadsSamplesOneIntervalApartWithinEachThread() throws IOException {
        Profile p = read("thread (1);a 2\nthread (2);b 1\nthread (1);c 1\n");
        long step = 10_000_000L;
        assertEquals(0, p.sampleTimeNanos(0));
        assertEquals(step, p.sampleTimeNanos(1));
        assertEquals(0, p.sampleTimeNanos(2)); // thread 2 starts its own clock
        assertEquals(2 * step, p.sampleTimeNanos(3));
        assertEquals(3 * step, p.durationNanos());
    }
}
