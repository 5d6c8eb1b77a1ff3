package dev.pyspy.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * An interactive flame graph as one self-contained HTML page drawn on a canvas ({@code --format html}),
 * for profiles too large for an SVG: nothing is made per frame in the page, and the profile travels in
 * a compact form (labels and functions interned once, the tree as variable-length numbers in base 64).
 *
 * <p>What a reader gets: hover details ({@code function (file:line) (N samples, x.xx%)}), click to zoom
 * (ancestors dimmed) and "Reset Zoom", a regular-expression search box (Ctrl-F focuses it) that
 * highlights matches, prints "Matched: x.x%" (each sample counted once) and steps through the matches
 * (Enter / Shift+Enter, F3, or the arrows), an "Inverted" toggle between icicle and flame orientation,
 * and a sortable table of the functions by self and total time. The URL keeps the state
 * ({@code ?s=regex&x=start&y=depth&i=1}) like the SVG's. Unlike the SVG, every frame is kept by
 * default: narrow frames cost nothing until zoomed into.
 */
public final class HtmlFlameGraphWriter implements ProfileWriter {
    /** Digits of the number encoding: 5 bits each, bit 6 set when more digits follow. */
    static final String B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /** The page around the data; its scripts sit in a script element. */
    private static final WebTemplate PAGE = WebTemplate.load("flamegraph.html", "</script");

    private final FlameGraphOptions options;

    public HtmlFlameGraphWriter() {
        this(FlameGraphOptions.defaults().withMinWidthFraction(0));
    }

    public HtmlFlameGraphWriter(FlameGraphOptions options) {
        this.options = options;
    }

    public FlameGraphOptions options() {
        return options;
    }

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        FlameGraphLayout layout = FlameGraphLayout.build(profile, options.minWidthFraction());
        String title = options.title() != null ? options.title()
                : profile.title() != null ? profile.title() : "Flame Graph";
        write(layout, null, title, profile.modeLabel(), out);
    }

    /** A differential graph: widths from {@code after}, colours from the change in self time. */
    public void writeDiff(FlameGraphDiff diff, OutputStream out) throws IOException {
        String title = options.title() != null ? options.title() : "Differential flame graph";
        write(diff.layout(), diff, title, null, out);
    }

    private void write(FlameGraphLayout layout, FlameGraphDiff diff, String title, String subtitle, OutputStream out)
            throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        String tableHead = diff == null
                ? TABLE_HEAD
                : "<th data-k=\"self\">Self</th><th data-k=\"self\">Self %</th><th data-k=\"dself\">Self change</th>"
                        + "<th data-k=\"total\">Total</th><th data-k=\"total\">Total %</th>"
                        + "<th data-k=\"dtotal\">Total change</th>";
        PAGE.write(w, Map.of(
                "title", WebTemplate.text(Xml.escape(title)),
                "subtitle", WebTemplate.text(subtitle(subtitle)),
                "legend", WebTemplate.text(diff == null ? categoryLegend() : diffLegend(diff)),
                "table-head", WebTemplate.text(tableHead),
                "data", page -> writeData(layout, diff, title, null, page)));
        w.flush();
    }

    /** The head of the functions table's columns after the name (a differential graph has more). */
    static final String TABLE_HEAD = "<th data-k=\"self\">Self</th><th data-k=\"self\">Self %</th>"
            + "<th data-k=\"total\">Total</th><th data-k=\"total\">Total %</th>";

    /** The line under the title: what a sample counts ({@link Profile#modeLabel()}); nothing when null. */
    static String subtitle(String text) {
        return text == null ? "" : "<div id=\"subtitle\">" + Xml.escape(text) + "</div>\n";
    }

    /** The legend of the frame colours. */
    static String categoryLegend() {
        StringBuilder sb = new StringBuilder();
        for (FrameCategory c : FrameCategory.values()) {
            sb.append("<span class=\"sw\" style=\"background:").append(c.legendColor()).append("\"></span>")
                    .append(Xml.escape(c.legend));
        }
        return sb.toString();
    }

    private static String diffLegend(FlameGraphDiff diff) {
        return "<span class=\"sw\" style=\"background:" + FlameGraphDiff.css(FlameGraphDiff.rgb(1, 1))
                + "\"></span>grew<span class=\"sw\" style=\"background:" + FlameGraphDiff.css(FlameGraphDiff.rgb(-1, 1))
                + "\"></span>shrank &#160; " + Xml.escape(DiffFlameGraphWriter.legendText(diff));
    }

    /**
     * The JSON the script reads; {@code <}, {@code >} and {@code &} escaped so it cannot end the script element.
     * With {@code sources} (the heatmap page), each label also gets the fragment of its frame's line in the
     * page, or null where {@code sources} has none, as {@code src}.
     */
    void writeData(FlameGraphLayout layout, FlameGraphDiff diff, String title, Function<FrameInfo, String> sources,
                   Writer w) throws IOException {
        List<FlameGraphLayout.Node> nodes = layout.nodes();
        long total = layout.totalSamples();
        int n = total == 0 ? 0 : nodes.size();

        // labels, most used first so that their ids are short
        Map<String, int[]> labelUse = new HashMap<>();
        List<String> labelOrder = new ArrayList<>();
        List<FlameGraphLayout.Node> labelFirst = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FlameGraphLayout.Node node = nodes.get(i);
            int[] use = labelUse.get(node.label());
            if (use == null) {
                use = new int[]{0, labelOrder.size()};
                labelUse.put(node.label(), use);
                labelOrder.add(node.label());
                labelFirst.add(node);
            }
            use[0]++;
        }
        Integer[] byUse = new Integer[labelOrder.size()];
        for (int i = 0; i < byUse.length; i++) {
            byUse[i] = i;
        }
        java.util.Arrays.sort(byUse, (a, b) -> {
            int ua = labelUse.get(labelOrder.get(a))[0];
            int ub = labelUse.get(labelOrder.get(b))[0];
            return ua != ub ? Integer.compare(ub, ua) : Integer.compare(a, b);
        });
        int[] labelId = new int[byUse.length];
        for (int rank = 0; rank < byUse.length; rank++) {
            labelId[byUse[rank]] = rank;
        }

        // functions: name and file, without the line; their colour is the SVG's
        Map<String, Integer> fnIds = new HashMap<>();
        List<String> fnNames = new ArrayList<>();
        List<String> fnFiles = new ArrayList<>();
        List<Integer> fnColors = new ArrayList<>();
        int[] labelFn = new int[byUse.length];
        for (int rank = 0; rank < byUse.length; rank++) {
            FlameGraphLayout.Node first = labelFirst.get(byUse[rank]);
            FrameInfo frame = first.frame();
            String name = frame == null || frame.isSynthetic() ? first.label() : frame.name();
            String file = frame == null || frame.isSynthetic() ? null : frame.filename();
            String key = file == null ? "\u0000" + name : name + "\u0000" + file;
            Integer id = fnIds.get(key);
            if (id == null) {
                id = fnNames.size();
                fnIds.put(key, id);
                fnNames.add(name);
                fnFiles.add(file);
                String css = frame == null ? FrameCategory.OTHER.color(first.label()) : FrameCategory.color(frame);
                fnColors.add(parseRgb(css));
            }
            labelFn[rank] = id;
        }

        StringBuilder tree = new StringBuilder(n * 8);
        int prevDepth = -1;
        for (int i = 0; i < n; i++) {
            FlameGraphLayout.Node node = nodes.get(i);
            vlq(tree, prevDepth + 1 - node.depth());
            vlq(tree, labelId[labelUse.get(node.label())[1]]);
            vlq(tree, node.total());
            vlq(tree, node.self());
            prevDepth = node.depth();
        }
        StringBuilder lfn = new StringBuilder(byUse.length * 2);
        for (int id : labelFn) {
            vlq(lfn, id);
        }

        JsonFactory factory = new JsonFactory();
        factory.setCharacterEscapes(new HtmlSafeEscapes());
        JsonGenerator g = factory.createGenerator(new NonClosingWriter(w));
        g.writeStartObject();
        g.writeNumberField("v", 1);
        g.writeStringField("title", title);
        g.writeBooleanField("icicle", options.icicle());
        g.writeNumberField("frameHeight", options.frameHeight());
        g.writeNumberField("fontSize", options.fontSize());
        g.writeNumberField("total", total);
        g.writeNumberField("n", n);
        g.writeNumberField("maxDepth", n == 0 ? 0 : layout.maxDepth());
        g.writeArrayFieldStart("labels");
        for (Integer idx : byUse) {
            g.writeString(labelOrder.get(idx));
        }
        g.writeEndArray();
        g.writeStringField("lfn", lfn.toString());
        g.writeArrayFieldStart("fname");
        for (String s : fnNames) {
            g.writeString(s);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("ffile");
        for (String s : fnFiles) {
            if (s == null) {
                g.writeNull();
            } else {
                g.writeString(s);
            }
        }
        g.writeEndArray();
        g.writeArrayFieldStart("fcol");
        for (int c : fnColors) {
            g.writeNumber(c);
        }
        g.writeEndArray();
        g.writeStringField("nodes", tree.toString());
        if (sources != null) {
            g.writeArrayFieldStart("src");
            for (Integer idx : byUse) {
                FrameInfo frame = labelFirst.get(idx).frame();
                String anchor = frame == null || frame.isSynthetic() ? null : sources.apply(frame);
                if (anchor == null) {
                    g.writeNull();
                } else {
                    g.writeString(anchor);
                }
            }
            g.writeEndArray();
        }
        if (diff != null) {
            StringBuilder bt = new StringBuilder(n * 2);
            StringBuilder bs = new StringBuilder(n * 2);
            for (int i = 0; i < n; i++) {
                vlq(bt, diff.beforeTotal(i));
                vlq(bs, diff.beforeSelf(i));
            }
            g.writeObjectFieldStart("diff");
            g.writeNumberField("before", diff.beforeTotal());
            g.writeNumberField("gone", diff.goneFraction());
            g.writeStringField("bt", bt.toString());
            g.writeStringField("bs", bs.toString());
            g.writeEndObject();
        }
        g.writeEndObject();
        g.flush();
    }

    /** Appends {@code v >= 0}: 5 bits a digit, least significant first, 32 added while more follow. */
    static void vlq(StringBuilder sb, long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative: " + v);
        }
        do {
            int digit = (int) (v & 31);
            v >>>= 5;
            sb.append(B64.charAt(v != 0 ? digit | 32 : digit));
        } while (v != 0);
    }

    private static int parseRgb(String css) {
        String[] parts = css.substring(css.indexOf('(') + 1, css.indexOf(')')).split(",");
        return Integer.parseInt(parts[0].trim()) << 16 | Integer.parseInt(parts[1].trim()) << 8
                | Integer.parseInt(parts[2].trim());
    }

    @Override
    public String extension() {
        return "html";
    }

    private static final class HtmlSafeEscapes extends CharacterEscapes {
        private final int[] escapes;

        HtmlSafeEscapes() {
            escapes = standardAsciiEscapesForJSON();
            escapes['<'] = ESCAPE_STANDARD;
            escapes['>'] = ESCAPE_STANDARD;
            escapes['&'] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null;
        }
    }

    /** Lets the JSON generator flush without closing the page's writer. */
    private static final class NonClosingWriter extends java.io.FilterWriter {
        NonClosingWriter(Writer w) {
            super(w);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
