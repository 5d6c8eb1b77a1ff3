package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A differential flame graph as an SVG ({@code pyspy diff}): the interactive graph of
 * {@link FlameGraphWriter} with the widths of the {@code after} profile, each frame coloured by the
 * change of its self time between the profiles (see {@link FlameGraphDiff}): red where it grew, blue
 * where it shrank, the more saturated the larger the change, near-white where nothing changed. Hovering
 * shows {@code label (before: N samples, x.xx%; after: M samples, y.yy%; change +z.zz%, self +w.ww%)}.
 */
public final class DiffFlameGraphWriter {
    private final FlameGraphOptions options;

    public DiffFlameGraphWriter(FlameGraphOptions options) {
        this.options = options;
    }

    public void write(Profile before, Profile after, OutputStream out) throws IOException {
        write(FlameGraphDiff.build(before, after, options.minWidthFraction()), out);
    }

    public void write(FlameGraphDiff diff, OutputStream out) throws IOException {
        String title = options.title() != null ? options.title() : "Differential flame graph";
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        new FlameGraphWriter(options).render(diff.layout(), title, null, new Style(diff), w);
        w.flush();
    }

    /** The details line of node {@code i}: counts in both profiles and the changes, in percentage points. */
    static String info(FlameGraphDiff diff, int i) {
        FlameGraphLayout.Node n = diff.layout().nodes().get(i);
        return n.label() + " (before: " + FlameGraphWriter.samples(diff.beforeTotal(i)) + ", "
                + FlameGraphWriter.percent(diff.beforeTotal(i), diff.beforeTotal()) + "; after: "
                + FlameGraphWriter.samples(n.total()) + ", " + FlameGraphWriter.percent(n.total(), diff.afterTotal())
                + "; change " + signedPercent(diff.totalDelta(i)) + ", self " + signedPercent(diff.selfDelta(i)) + ")";
    }

    /** A share as signed percentage points: {@code +1.25%}, {@code -0.50%}, {@code 0.00%}. */
    static String signedPercent(double share) {
        double pct = share * 100;
        String s = String.format(Locale.ROOT, "%.2f%%", Math.abs(pct));
        if (s.equals("0.00%")) {
            return s;
        }
        return (pct > 0 ? "+" : "-") + s;
    }

    /** The legend: what the colours mean and the totals compared. */
    static String legendText(FlameGraphDiff diff) {
        String gone = diff.goneFraction() > 0
                ? String.format(Locale.ROOT, "; %.1f%% of before is on paths absent from after", 100 * diff.goneFraction())
                : "";
        return "(self time as a share of all samples; widths from after; before: "
                + FlameGraphWriter.samples(diff.beforeTotal()) + ", after: "
                + FlameGraphWriter.samples(diff.afterTotal()) + gone + ")";
    }

    private static final class Style implements FlameGraphWriter.FrameStyle {
        private final FlameGraphDiff diff;

        Style(FlameGraphDiff diff) {
            this.diff = diff;
        }

        @Override
        public String fill(FlameGraphLayout.Node node, int index) {
            return FlameGraphDiff.css(FlameGraphDiff.rgb(diff.selfDelta(index), diff.maxAbsSelfDelta()));
        }

        @Override
        public String info(FlameGraphLayout.Node node, int index, long total) {
            return DiffFlameGraphWriter.info(diff, index);
        }

        @Override
        public void writeLegend(Writer w) throws IOException {
            String grew = FlameGraphDiff.css(FlameGraphDiff.rgb(1, 1));
            String shrank = FlameGraphDiff.css(FlameGraphDiff.rgb(-1, 1));
            w.write("<text id=\"legend\" x=\"50%\" y=\"" + FlameGraphWriter.LEGEND_Y + "\"><tspan fill=\"" + grew
                    + "\">\u25A0</tspan><tspan dx=\"4\">grew</tspan><tspan dx=\"16\" fill=\"" + shrank
                    + "\">\u25A0</tspan><tspan dx=\"4\">shrank</tspan><tspan dx=\"16\">"
                    + Xml.escape(legendText(diff)) + "</tspan></text>\n");
        }
    }
}
