package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An interactive flame graph ({@code --format flamegraph}, the default): one standalone SVG with its own
 * style sheet and script, no network access.
 *
 * <p>What a reader gets: the title on top (followed by the sampling mode, {@link Profile#modeLabel()}), a
 * legend of colour families under it, frames as an icicle
 * (root on top, the default) or a classic flame (root at the bottom). Hovering a frame shows
 * {@code function (file:line) (N samples, x.xx%)} in the details line at the bottom; clicking it zooms
 * (ancestors dimmed, everything beside it hidden, labels re-fitted) and "Reset Zoom" undoes that.
 * "Search" (or Ctrl-F) asks for a regular expression, highlights matching frames and shows
 * "Matched: x.x%" of the samples in view, each sample counted once; clicking "Reset Search" (or
 * Escape) clears it. The URL keeps the state ({@code ?s=regex&x=start&y=depth}), so a link restores
 * it. The graph stretches to the browser window. Colours come from {@link FrameCategory}; geometry
 * from {@link FlameGraphLayout}. {@link DiffFlameGraphWriter} draws differential graphs with the same
 * markup and script through a {@link FrameStyle} of its own.
 */
public final class FlameGraphWriter implements ProfileWriter {
    /** The page around the frames: style sheet, script, title, buttons; its scripts sit in CDATA sections. */
    private static final WebTemplate PAGE = WebTemplate.load("flamegraph.svg", "]]>");
    static final int PAD = 10;
    static final int LEGEND_Y = 44;
    static final int FRAMES_TOP = 56;
    /** Average character width as a fraction of the font size, for labels fitted without a browser. */
    static final double CHAR_WIDTH = 0.59;
    static final int TEXT_PAD = 3;

    private final FlameGraphOptions options;

    public FlameGraphWriter() {
        this(FlameGraphOptions.defaults());
    }

    public FlameGraphWriter(FlameGraphOptions options) {
        this.options = options;
    }

    public FlameGraphOptions options() {
        return options;
    }

    /**
     * How frames look: their fill and the details line shown on hover. The details must start with the
     * frame's label followed by {@code " ("} and contain no other {@code " ("} after it (the script
     * takes the label from them for searches).
     */
    interface FrameStyle {
        String fill(FlameGraphLayout.Node node, int index);

        String info(FlameGraphLayout.Node node, int index, long total);

        /** The legend line under the title, as SVG markup of one {@code <text>} element. */
        void writeLegend(Writer w) throws IOException;
    }

    /** Colours by {@link FrameCategory}; details {@code label (N samples, x.xx%)}. */
    static final FrameStyle CATEGORY_STYLE = new FrameStyle() {
        @Override
        public String fill(FlameGraphLayout.Node node, int index) {
            return node.frame() == null ? FrameCategory.OTHER.color(node.label()) : FrameCategory.color(node.frame());
        }

        @Override
        public String info(FlameGraphLayout.Node node, int index, long total) {
            return node.label() + " (" + samples(node.total()) + ", " + percent(node.total(), total) + ")";
        }

        @Override
        public void writeLegend(Writer w) throws IOException {
            FlameGraphWriter.writeLegend(w);
        }
    };

    /** {@code "1 sample"}, {@code "N samples"}. */
    static String samples(long n) {
        return n + (n == 1 ? " sample" : " samples");
    }

    /** {@code part} of {@code total} as {@code x.xx%}. */
    static String percent(long part, long total) {
        return String.format(Locale.ROOT, "%.2f%%", total == 0 ? 0.0 : 100.0 * part / total);
    }

    /** The graph's heading: the option, else the profile's title, else "Flame Graph". */
    String title(Profile profile) {
        return options.title() != null ? options.title()
                : profile.title() != null ? profile.title() : "Flame Graph";
    }

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        FlameGraphLayout layout = FlameGraphLayout.build(profile, options.minWidthFraction());
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        render(layout, title(profile), profile.modeLabel(), CATEGORY_STYLE, w);
        w.flush();
    }

    /** @param subtitle what a sample counts, after the title in smaller type; null for none */
    void render(FlameGraphLayout layout, String title, String subtitle, FrameStyle style, Writer w) throws IOException {
        int fh = options.frameHeight();
        int fs = options.fontSize();
        int width = options.width();
        long total = layout.totalSamples();
        int rows = total == 0 ? 1 : layout.maxDepth() + 1;
        int framesHeight = rows * fh;
        int detailsY = FRAMES_TOP + framesHeight + 22;
        int height = detailsY + 10;
        double framesWidth = width - 2.0 * PAD;

        Map<String, WebTemplate.Slot> fill = new HashMap<>();
        fill.put("width", WebTemplate.text(String.valueOf(width)));
        fill.put("height", WebTemplate.text(String.valueOf(height)));
        fill.put("font-size", WebTemplate.text(String.valueOf(fs)));
        fill.put("title", WebTemplate.text(Xml.escape(title)));
        fill.put("subtitle", WebTemplate.text(subtitle == null ? ""
                : "<tspan id=\"subtitle\" dx=\"10\">" + Xml.escape(subtitle) + "</tspan>"));
        fill.put("legend", style::writeLegend);
        fill.put("pad", WebTemplate.text(String.valueOf(PAD)));
        fill.put("details-y", WebTemplate.text(String.valueOf(detailsY)));
        fill.put("frames-width", WebTemplate.text(fmt(framesWidth)));
        fill.put("frames-height", WebTemplate.text(String.valueOf(FRAMES_TOP + framesHeight)));
        fill.put("total", WebTemplate.text(String.valueOf(total)));
        fill.put("frames", out -> writeFrames(layout, style, framesWidth, out));
        PAGE.write(w, fill);
    }

    private void writeFrames(FlameGraphLayout layout, FrameStyle style, double framesWidth, Writer w) throws IOException {
        long total = layout.totalSamples();
        if (total == 0) {
            w.write("<text x=\"50%\" y=\"" + (FRAMES_TOP + options.frameHeight())
                    + "\" text-anchor=\"middle\">No samples</text>\n");
            return;
        }
        StringBuilder sb = new StringBuilder(512);
        int index = 0;
        for (FlameGraphLayout.Node node : layout.nodes()) {
            sb.setLength(0);
            frame(node, style.info(node, index, total), style.fill(node, index), layout.maxDepth(), framesWidth, sb);
            w.write(sb.toString());
            index++;
        }
    }

    private void frame(FlameGraphLayout.Node node, String info, String fill, int maxDepth, double framesWidth,
                       StringBuilder sb) {
        int fh = options.frameHeight();
        int row = options.icicle() ? node.depth() : maxDepth - node.depth();
        int y = FRAMES_TOP + row * fh;
        double xPct = node.x() * 100;
        double wPct = node.width() * 100;
        String label = node.label();
        int textY = y + (fh + options.fontSize()) / 2 - 2;
        sb.append("<g class=\"f\" data-s=\"").append(node.start())
                .append("\" data-n=\"").append(node.total())
                .append("\" data-d=\"").append(node.depth()).append("\"><title>")
                .append(Xml.escape(info)).append("</title><rect x=\"").append(fmt(xPct))
                .append("%\" y=\"").append(y).append("\" width=\"").append(fmt(wPct))
                .append("%\" height=\"").append(fh - 1).append("\" rx=\"2\" fill=\"").append(fill)
                .append("\"/><text x=\"").append(fmt(xPct)).append("%\" dx=\"").append(TEXT_PAD)
                .append("\" y=\"").append(textY).append("\">")
                .append(Xml.escape(fitLabel(label, node.width() * framesWidth, options.fontSize())))
                .append("</text></g>\n");
    }

    static void writeLegend(Writer w) throws IOException {
        StringBuilder sb = new StringBuilder("<text id=\"legend\" x=\"50%\" y=\"" + LEGEND_Y + "\">");
        boolean first = true;
        for (FrameCategory c : FrameCategory.values()) {
            sb.append("<tspan").append(first ? "" : " dx=\"16\"").append(" fill=\"").append(c.legendColor())
                    .append("\">\u25A0</tspan><tspan dx=\"4\">").append(Xml.escape(c.legend)).append("</tspan>");
            first = false;
        }
        sb.append("</text>\n");
        w.write(sb.toString());
    }

    /** The label shortened with {@code ..} to fit {@code px} pixels, or "" when fewer than 3 characters fit. */
    static String fitLabel(String label, double px, int fontSize) {
        int max = (int) Math.floor((px - 2 * TEXT_PAD) / (fontSize * CHAR_WIDTH));
        if (max < 3) {
            return "";
        }
        if (label.length() <= max) {
            return label;
        }
        int cut = max - 2;
        if (Character.isHighSurrogate(label.charAt(cut - 1))) {
            cut--;
        }
        return label.substring(0, cut) + "..";
    }

    /** A number with at most 4 decimals, no exponent, no trailing zeros. */
    static String fmt(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v);
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }

    @Override
    public String extension() {
        return "svg";
    }
}
