package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An interactive flame graph ({@code --format flamegraph}, the default): one standalone SVG with its own
 * style sheet and script, no network access.
 *
 * <p>What a reader gets: the title on top, a legend of colour families under it, frames as an icicle
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
    static final int PAD = 10;
    static final int TITLE_Y = 24;
    static final int LEGEND_Y = 44;
    static final int FRAMES_TOP = 56;
    static final int TITLE_FONT_SIZE = 17;
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
        render(layout, title(profile), CATEGORY_STYLE, w);
        w.flush();
    }

    void render(FlameGraphLayout layout, String title, FrameStyle style, Writer w) throws IOException {
        int fh = options.frameHeight();
        int fs = options.fontSize();
        int width = options.width();
        long total = layout.totalSamples();
        int rows = total == 0 ? 1 : layout.maxDepth() + 1;
        int framesHeight = rows * fh;
        int detailsY = FRAMES_TOP + framesHeight + 22;
        int height = detailsY + 10;
        double framesWidth = width - 2.0 * PAD;

        w.write("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
        w.write("<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width
                + "\" height=\"" + height + "\" onload=\"init(evt)\" font-size=\"" + fs + "\">\n");
        w.write("<title>" + Xml.escape(title) + "</title>\n");
        w.write("<style type=\"text/css\"><![CDATA[\n");
        w.write(FlameGraphScript.CSS);
        w.write("]]></style>\n");
        w.write("<script type=\"text/ecmascript\"><![CDATA[\n");
        w.write(FlameGraphScript.JS);
        w.write("]]></script>\n");
        w.write("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"rgb(250,250,250)\"/>\n");
        w.write("<text id=\"title\" x=\"50%\" y=\"" + TITLE_Y + "\" font-size=\"" + TITLE_FONT_SIZE + "\">"
                + Xml.escape(title) + "</text>\n");
        style.writeLegend(w);
        w.write("<text id=\"unzoom\" class=\"hide\" x=\"" + PAD + "\" y=\"" + TITLE_Y + "\">Reset Zoom</text>\n");
        w.write("<text id=\"search\" x=\"100%\" dx=\"-" + PAD + "\" y=\"" + TITLE_Y + "\">Search</text>\n");
        w.write("<text id=\"details\" x=\"" + PAD + "\" y=\"" + detailsY + "\"> </text>\n");
        w.write("<text id=\"matched\" x=\"100%\" dx=\"-" + PAD + "\" y=\"" + detailsY + "\"> </text>\n");

        w.write("<svg id=\"frames\" x=\"" + PAD + "\" y=\"0\" width=\"" + fmt(framesWidth) + "\" height=\""
                + (FRAMES_TOP + framesHeight) + "\" data-total=\"" + total + "\" data-font-size=\"" + fs
                + "\" data-pad=\"" + PAD + "\">\n");
        if (total == 0) {
            w.write("<text x=\"50%\" y=\"" + (FRAMES_TOP + fh) + "\" text-anchor=\"middle\">No samples</text>\n");
        } else {
            StringBuilder sb = new StringBuilder(512);
            int index = 0;
            for (FlameGraphLayout.Node node : layout.nodes()) {
                sb.setLength(0);
                frame(node, style.info(node, index, total), style.fill(node, index), layout.maxDepth(), framesWidth, sb);
                w.write(sb.toString());
                index++;
            }
        }
        w.write("</svg>\n");
        w.write("</svg>\n");
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
