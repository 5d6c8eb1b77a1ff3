package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputFormatTest {

    @Test
    void formatsAreLookedUpByNameIgnoringCase() {
        assertSame(OutputFormat.FLAMEGRAPH, OutputFormat.fromName("flamegraph"));
        assertSame(OutputFormat.SPEEDSCOPE, OutputFormat.fromName("SpeedScope"));
        assertSame(OutputFormat.CHROMETRACE, OutputFormat.fromName(" CHROMETRACE "));
        assertSame(OutputFormat.RAW, OutputFormat.fromName("raw"));
        assertSame(OutputFormat.PPROF, OutputFormat.fromName("Pprof"));
    }

    @Test
    void unknownFormatErrorListsTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputFormat.fromName("svg"));
        assertEquals("unknown output format 'svg' (choose one of: flamegraph, raw, speedscope, chrometrace, pprof, html, "
                + "gecko, table, heatmap)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OutputFormat.fromName(null));
    }

    @Test
    void eachFormatHasItsWriterAndExtension() {
        assertInstanceOf(FlameGraphWriter.class, OutputFormat.FLAMEGRAPH.writer());
        assertInstanceOf(RawWriter.class, OutputFormat.RAW.writer());
        assertInstanceOf(SpeedscopeWriter.class, OutputFormat.SPEEDSCOPE.writer());
        assertInstanceOf(ChromeTraceWriter.class, OutputFormat.CHROMETRACE.writer());
        assertInstanceOf(PprofWriter.class, OutputFormat.PPROF.writer());
        assertEquals("svg", OutputFormat.FLAMEGRAPH.extension());
        assertEquals("txt", OutputFormat.RAW.extension());
        assertEquals("json", OutputFormat.SPEEDSCOPE.extension());
        assertEquals("json", OutputFormat.CHROMETRACE.extension());
        assertEquals("pprof", OutputFormat.PPROF.extension());
        assertInstanceOf(HtmlFlameGraphWriter.class, OutputFormat.HTML.writer());
        assertEquals("html", OutputFormat.HTML.extension());
        assertSame(OutputFormat.HTML, OutputFormat.fromName("HTML"));
        for (OutputFormat f : OutputFormat.values()) {
            assertEquals(f.extension(), f.writer().extension(), f.formatName());
            assertEquals(f.formatName(), f.toString());
        }
    }

    @Test
    void flamegraphIsTheDefaultAndTakesItsOptions() {
        assertSame(OutputFormat.FLAMEGRAPH, OutputFormat.DEFAULT);
        FlameGraphOptions options = FlameGraphOptions.defaults().withIcicle(false).withTitle("x");
        ProfileWriter w = OutputFormat.FLAMEGRAPH.writer(options);
        assertSame(options, ((FlameGraphWriter) w).options());
        assertTrue(OutputFormat.RAW.writer(options) instanceof RawWriter);
        assertSame(options, ((HtmlFlameGraphWriter) OutputFormat.HTML.writer(options)).options());
        assertEquals(0.001, OutputFormat.FLAMEGRAPH.defaultMinWidthFraction());
        assertEquals(0.0, OutputFormat.HTML.defaultMinWidthFraction(), "the canvas page keeps every frame");
    }
}
