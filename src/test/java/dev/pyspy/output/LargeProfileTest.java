package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Size and speed of the flame graphs on a synthetic 200,000-unique-stack input ({@link SyntheticProfiles}),
 * the way {@code pyspy render} makes them. The numbers are printed and appended to
 * {@code <build dir>/flamegraph-benchmark.txt}; docs/flamegraphs.md records them. The bounds asserted
 * are loose (a loaded CI machine must pass); the point is that neither format blows up.
 */
class LargeProfileTest {
    static final int STACKS = 200_000;
    static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    record Run(long wallMillis, long cpuMillis, long bytes) {
    }

    static Run render(Path in, Path out, ProfileWriter writer) throws IOException {
        long t0 = System.nanoTime();
        long c0 = CPU.getCurrentThreadCpuTime();
        Profile p = CollapsedStackReader.read(in);
        AtomicFileOutput.write(out, p, writer);
        return new Run((System.nanoTime() - t0) / 1_000_000, (CPU.getCurrentThreadCpuTime() - c0) / 1_000_000,
                Files.size(out));
    }

    static void report(String line) throws IOException {
        System.out.println(line);
        Path classes = Path.of(System.getProperty("user.dir"));
        try {
            classes = Path.of(LargeProfileTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception ignored) {
            // fall back to the working directory
        }
        Path file = classes.getParent().resolve("flamegraph-benchmark.txt");
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void twoHundredThousandUniqueStacksRenderToUsableFiles(@TempDir Path dir) throws Exception {
        Path in = SyntheticProfiles.cached(STACKS);
        Profile profile = CollapsedStackReader.read(in);
        assertEquals(STACKS, profile.stackCount());
        FlameGraphLayout full = FlameGraphLayout.build(profile, 0);
        FlameGraphLayout pruned = FlameGraphLayout.build(profile, FlameGraphOptions.DEFAULT_MIN_WIDTH_FRACTION);

        Run svg = render(in, dir.resolve("big.svg"), new FlameGraphWriter());
        Run html = render(in, dir.resolve("big.html"), new HtmlFlameGraphWriter());
        report(String.format(Locale.ROOT, "input: %d unique stacks, %d samples, %.1f MB; tree: %d frames (%d kept in the SVG at 0.1%%)",
                STACKS, profile.sampleCount(), Files.size(in) / 1e6, full.nodes().size(), pruned.nodes().size()));
        report(String.format(Locale.ROOT, "svg: %.2f MB in %d ms (%d ms CPU, reading included)", svg.bytes / 1e6,
                svg.wallMillis, svg.cpuMillis));
        report(String.format(Locale.ROOT, "html: %.2f MB in %d ms (%d ms CPU, reading included)", html.bytes / 1e6,
                html.wallMillis, html.cpuMillis));

        assertTrue(full.nodes().size() > STACKS, "every unique stack is a frame of its own");
        assertTrue(svg.bytes < 2_000_000, "pruning keeps the SVG small: " + svg.bytes);
        assertTrue(html.bytes < 12 * full.nodes().size() + 2_000_000L, "a few bytes a frame: " + html.bytes);
        assertTrue(svg.wallMillis < 120_000 && html.wallMillis < 120_000, svg + " " + html);
        SvgFlameGraphs.parse(Files.readAllBytes(dir.resolve("big.svg")));
        assertEquals(full.nodes().size(), HtmlFlameGraphData.data(Files.readAllBytes(dir.resolve("big.html")))
                .get("n").asInt(), "the page keeps every frame");
    }
}
