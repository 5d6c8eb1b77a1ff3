package dev.pyspy.output;

import dev.pyspy.testing.TableRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every format, written the way the CLI writes it, and read back by a consumer. */
class AllFormatsTest {

    @Test
    void everyFormatWritesAFileThatReadsBack(@TempDir Path dir) throws Exception {
        Profile profile = TestProfiles.heavy();
        for (OutputFormat format : OutputFormat.values()) {
            Path file = dir.resolve("profile-" + format.formatName() + "." + format.extension());
            AtomicFileOutput.ensureWritable(file);
            AtomicFileOutput.write(file, profile, format.writer());
            byte[] bytes = Files.readAllBytes(file);
            assertTrue(bytes.length > 0, format.formatName());
            switch (format) {
                case RAW -> {
                    Profile back = CollapsedStackReader.read(file);
                    assertEquals(profile.sampleCount(), back.sampleCount());
                    assertEquals(RawWriter.collapse(profile), RawWriter.collapse(back));
                }
                case SPEEDSCOPE -> SpeedscopeChecks.assertValidSpeedscope(new ObjectMapper().readTree(bytes));
                case CHROMETRACE -> ChromeTraces.replay(new ObjectMapper().readTree(bytes));
                case PPROF -> assertEquals(200L, PprofDecoder.decode(bytes).samples.stream()
                        .mapToLong(s -> s.values().get(0)).sum());
                case FLAMEGRAPH -> assertEquals(13, SvgFlameGraphs.frames(SvgFlameGraphs.parse(bytes)).size());
                case HTML -> assertEquals(13, HtmlFlameGraphData.data(bytes).get("n").asInt());
                case GECKO -> GeckoChecks.assertValidGecko(new ObjectMapper().readTree(bytes));
                case TABLE -> assertEquals(8, TableRows.parse(new String(bytes, StandardCharsets.UTF_8)).size());
                case HEATMAP -> assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("id=\"f0:L5\""));
                default -> throw new AssertionError(format);
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(OutputFormat.values().length, files.count(), "no temporary files left");
        }
    }

    @Test
    void collapsedFileRendersToEveryOtherFormat(@TempDir Path dir) throws Exception {
        Path raw = Path.of(getClass().getResource("/output/pyspy-raw.txt").toURI());
        Profile profile = CollapsedStackReader.read(raw);
        for (OutputFormat format : List.of(OutputFormat.values())) {
            Path out = dir.resolve("r." + format.formatName());
            AtomicFileOutput.write(out, profile, format.writer());
            assertTrue(Files.size(out) > 0);
        }
        SpeedscopeChecks.assertValidSpeedscope(new ObjectMapper().readTree(dir.resolve("r.speedscope").toFile()));
        ChromeTraces.replay(new ObjectMapper().readTree(dir.resolve("r.chrometrace").toFile()));
        SvgFlameGraphs.parse(Files.readAllBytes(dir.resolve("r.flamegraph")));
        GeckoChecks.assertValidGecko(new ObjectMapper().readTree(dir.resolve("r.gecko").toFile()));
    }
}
