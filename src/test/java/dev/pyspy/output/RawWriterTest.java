package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RawWriterTest {

    static String raw(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new RawWriter().write(p, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rawOutputSumsIdenticalStacks() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        // Two distinct frames that print alike (first line differs): their stacks must merge.
        FrameInfo f1 = new FrameInfo("work", "app.py", 7, 3);
        FrameInfo f2 = new FrameInfo("work", "app.py", 7, 0);
        FrameInfo root = TestProfiles.fn("main");
        TestProfiles.add(p, 3, root, f1);
        TestProfiles.add(p, 4, root, f2);
        TestProfiles.add(p, 2, root, f1);
        assertEquals("main (app.py:1);work (app.py:7) 9\n", raw(p));
    }

    @Test
    void rawOutputWritesOneRootFirstLinePerStack() throws IOException {
        List<String> lines = raw(TestProfiles.heavy()).lines().toList();
        assertEquals(List.of(
                "thread (1001): MainThread;<module> (heavy.py:30);main (heavy.py:25) 10",
                "thread (1001): MainThread;<module> (heavy.py:30);main (heavy.py:25);heavy_a (heavy.py:5) 60",
                "thread (1001): MainThread;<module> (heavy.py:30);main (heavy.py:25);heavy_b (heavy.py:12) 30",
                "thread (1002): worker;_bootstrap_inner (/usr/lib/python3.11/threading.py:1038);"
                        + "run (/usr/lib/python3.11/threading.py:975);worker_loop (heavy.py:18);heavy_a (heavy.py:5);"
                        + "dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10) 30",
                "thread (1002): worker;_bootstrap_inner (/usr/lib/python3.11/threading.py:1038);"
                        + "run (/usr/lib/python3.11/threading.py:975);worker_loop (heavy.py:18);heavy_b (heavy.py:12) 70"),
                lines);
    }

    @Test
    void rawOutputLeavesOutEmptyStacksAndFlattensLineBreaks() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        TestProfiles.add(p, 5);
        TestProfiles.add(p, 1, FrameInfo.synthetic("process 1:\"python\nx.py\""));
        assertEquals("process 1:\"python x.py\" 1\n", raw(p));
    }

    @Test
    void aSemicolonInANameStaysInItsFrameAndReadsBack() throws IOException {
        Profile p = new Profile("t", 0.01, 0);
        FrameInfo semi = new FrameInfo("a;b", "semi;colon.py", 3, 0);
        TestProfiles.add(p, 2, FrameInfo.synthetic("thread (7): x;y"), TestProfiles.fn("main"), semi);
        String text = raw(p);
        assertEquals("thread (7): x\u037ey;main (app.py:1);a\u037eb (semi\u037ecolon.py:3) 2\n", text);
        assertEquals(3, text.substring(0, text.lastIndexOf(' ')).split(";").length, "three frames");
        Profile back = new CollapsedStackReader("t", 0.01).read(new StringReader(text), "raw");
        assertEquals(List.of(FrameInfo.synthetic("thread (7): x;y"), new FrameInfo("main", "app.py", 1, 0), semi),
                back.frames());
        assertEquals("x;y", back.threads().get(0).name());
        assertEquals(text, raw(back));
    }

    @Test
    void rawOutputReadsBackWithTheSameTotals() throws IOException {
        Profile original = TestProfiles.heavy();
        String text = raw(original);
        Profile back = new CollapsedStackReader("back", 0.01).read(new StringReader(text), "raw");
        assertEquals(original.sampleCount(), back.sampleCount());
        Map<String, Long> a = RawWriter.collapse(original);
        Map<String, Long> b = RawWriter.collapse(back);
        assertEquals(a, b);
        assertEquals(text, raw(back));
        // The -t roots come back as threads.
        assertEquals(List.of(new ProfileThread(0, 1001, "MainThread"), new ProfileThread(0, 1002, "worker")),
                back.threads());
        assertTrue(back.frames().contains(new FrameInfo("heavy_a", "heavy.py", 5, 0)));
    }

    @Test
    void rawExtensionIsTxt() {
        assertEquals("txt", new RawWriter().extension());
    }
}
