package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A line-level heatmap ({@code --format heatmap}): one self-contained HTML page (no network) with the
 * profile's flame graph (the {@code -f html} one: same scripts, same data), then the source of every
 * sampled file, each line shaded by its own samples (the line was executing), a file index sorted by own
 * samples, and a table of functions whose entries link to their lines. Clicking a frame of the graph
 * zooms into it and, where the page has its file's source, goes to its line.
 *
 * <p>Anchors are stable for a given profile: file {@code i} (its place in the index, see
 * {@link #fileOrder}) is {@code #f<i>}, and its line {@code n} is {@code #f<i>:L<n>}
 * ({@link #anchor}), so another page (a flame graph) can link to {@code heatmap.html#f3:L42}. Each line
 * row carries {@code data-own}, {@code data-total} and {@code data-heat} (own samples over the hottest
 * line's, 0 to 1, which sets its shade). Files are found by full path through {@link SourceFiles}; a
 * file that cannot be read is listed with its sampled lines and says that its source is not available.
 */
public final class HeatmapWriter implements ProfileWriter {
    /** The page: the HTML flame graph's, with the files after the graph; its scripts sit in a script element. */
    private static final WebTemplate PAGE = WebTemplate.load("heatmap.html", "</script");

    private final SourceFiles sources;
    private final String title;

    public HeatmapWriter() {
        this(SourceFiles.LOCAL, null);
    }

    /** @param title heading of the page; {@code null} uses {@link Profile#title()} */
    public HeatmapWriter(SourceFiles sources, String title) {
        this.sources = sources;
        this.title = title;
    }

    /** Samples of one line: own (it was executing) and total (it was anywhere on the stack). */
    static final class LineStat {
        long own;
        long total;
        private int seenInStack = -1;
    }

    /** One sampled file: its lines in order, and the sums over them (total counted once per sample). */
    static final class FileStat {
        final String path;
        final TreeMap<Integer, LineStat> lines = new TreeMap<>();
        long own;
        long total;
        private int seenInStack = -1;

        FileStat(String path) {
            this.path = path;
        }
    }

    /** The sampled files, in index order: most own samples first, then most total, then by path. */
    public static List<String> fileOrder(Profile profile) {
        return files(profile).stream().map(f -> f.path).toList();
    }

    /** The fragment (without {@code #}) of line {@code line} of the file at {@code fileIndex} in {@link #fileOrder}. */
    public static String anchor(int fileIndex, int line) {
        return "f" + fileIndex + ":L" + line;
    }

    static List<FileStat> files(Profile profile) {
        Map<String, FileStat> byPath = new HashMap<>();
        for (int s = 0; s < profile.stackCount(); s++) {
            long count = profile.count(s);
            int[] stack = profile.stack(s);
            for (int i = 0; i < stack.length; i++) {
                FrameInfo f = profile.frame(stack[i]);
                if (f.isSynthetic()) {
                    continue;
                }
                FileStat file = byPath.computeIfAbsent(f.path(), FileStat::new);
                LineStat line = file.lines.computeIfAbsent(f.line(), l -> new LineStat());
                boolean leaf = i == stack.length - 1;
                if (file.seenInStack != s) {
                    file.seenInStack = s;
                    file.total += count;
                }
                if (line.seenInStack != s) {
                    line.seenInStack = s;
                    line.total += count;
                }
                if (leaf) {
                    file.own += count;
                    line.own += count;
                }
            }
        }
        List<FileStat> files = new ArrayList<>(byPath.values());
        files.sort(Comparator.comparingLong((FileStat f) -> f.own).reversed()
                .thenComparing(Comparator.comparingLong((FileStat f) -> f.total).reversed())
                .thenComparing(f -> f.path));
        return files;
    }

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        List<FileStat> files = files(profile);
        Map<String, Integer> fileIndex = new HashMap<>();
        for (FileStat f : files) {
            fileIndex.put(f.path, fileIndex.size());
        }
        long hottest = hottestLine(files);
        long all = profile.totalSamples();
        String heading = title != null ? title : profile.title() != null ? profile.title() : "Heatmap";
        List<Optional<List<String>>> texts = new ArrayList<>();
        for (FileStat f : files) {
            texts.add(sources.lines(f.path));
        }
        // a frame links to its line only where the page shows its file's source
        Function<FrameInfo, String> lineOf = frame -> {
            Integer file = fileIndex.get(frame.path());
            return file == null || texts.get(file).isEmpty() || frame.line() <= 0 ? null : anchor(file, frame.line());
        };
        // every frame, as -f html keeps them
        FlameGraphLayout layout = FlameGraphLayout.build(profile, 0);
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        PAGE.write(w, Map.of(
                "title", WebTemplate.text(Xml.escape(heading)),
                "subtitle", WebTemplate.text(HtmlFlameGraphWriter.subtitle(profile.modeLabel())),
                "legend", WebTemplate.text(HtmlFlameGraphWriter.categoryLegend()),
                "table-head", WebTemplate.text(HtmlFlameGraphWriter.TABLE_HEAD),
                "heatmap", page -> {
                    page.write("<p class=\"note\">" + FlameGraphWriter.samples(all) + ". Click a frame of the flame "
                            + "graph to see its line. Each line is shaded by its own samples (the line was executing); "
                            + "<i>own</i> and <i>total</i> (the line was anywhere on the stack) are in the first "
                            + "columns.</p>\n");
                    writeIndex(files, all, page);
                    writeFunctions(profile, fileIndex, texts, all, page);
                    for (int i = 0; i < files.size(); i++) {
                        writeFile(i, files.get(i), texts.get(i), hottest, page);
                    }
                },
                "data", page -> new HtmlFlameGraphWriter().writeData(layout, null, heading, lineOf, page)));
        w.flush();
    }

    /** Own samples of the hottest line, at least 1: the full shade. */
    private static long hottestLine(List<FileStat> files) {
        long hottest = 1;
        for (FileStat f : files) {
            for (LineStat l : f.lines.values()) {
                hottest = Math.max(hottest, l.own);
            }
        }
        return hottest;
    }

    private static void writeIndex(List<FileStat> files, long all, Writer w) throws IOException {
        w.write("<section id=\"files\">\n<h2>Files</h2>\n<table class=\"index\">\n<thead><tr><th>File</th>"
                + "<th>Own</th><th>Own %</th><th>Total</th><th>Total %</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < files.size(); i++) {
            FileStat f = files.get(i);
            w.write("<tr><td><a href=\"#f" + i + "\">" + Xml.escape(f.path) + "</a></td>" + counts(f.own, f.total, all)
                    + "</tr>\n");
        }
        w.write("</tbody>\n</table>\n</section>\n");
    }

    /** Functions by own samples; each links to its first line, or to its file when the source is not available. */
    private static void writeFunctions(Profile profile, Map<String, Integer> fileIndex,
                                       List<Optional<List<String>>> texts, long all, Writer w) throws IOException {
        w.write("<section id=\"functions\">\n<h2>Functions</h2>\n<table class=\"index\">\n<thead><tr><th>Function</th>"
                + "<th>Own</th><th>Own %</th><th>Total</th><th>Total %</th></tr></thead>\n<tbody>\n");
        for (FunctionStats.Row r : FunctionStats.of(profile).sorted(false)) {
            Integer file = fileIndex.get(r.path());
            String label = Xml.escape(r.name() + " (" + r.location() + ")");
            String target = file == null ? null
                    : texts.get(file).isPresent() && r.line() > 0 ? anchor(file, r.line()) : "f" + file;
            String cell = target == null ? label : "<a href=\"#" + target + "\">" + label + "</a>";
            w.write("<tr><td>" + cell + "</td>" + counts(r.own(), r.total(), all) + "</tr>\n");
        }
        w.write("</tbody>\n</table>\n</section>\n");
    }

    private static void writeFile(int index, FileStat file, Optional<List<String>> source, long hottest, Writer w)
            throws IOException {
        w.write("<section class=\"file\" id=\"f" + index + "\">\n<h2>" + Xml.escape(file.path) + "</h2>\n");
        if (source.isEmpty()) {
            w.write("<p class=\"missing\">Source not available: the file could not be read "
                    + "(only its sampled lines are listed).</p>\n");
        }
        w.write("<table class=\"src\">\n<tbody>\n");
        if (source.isPresent()) {
            List<String> lines = source.get();
            for (int n = 1; n <= lines.size(); n++) {
                line(index, n, file.lines.get(n), lines.get(n - 1), hottest, w);
            }
            for (Map.Entry<Integer, LineStat> e : file.lines.tailMap(lines.size() + 1).entrySet()) {
                line(index, e.getKey(), e.getValue(), "", hottest, w);
            }
            if (file.lines.containsKey(0)) {
                line(index, 0, file.lines.get(0), "(no line number)", hottest, w);
            }
        } else {
            for (Map.Entry<Integer, LineStat> e : file.lines.entrySet()) {
                line(index, e.getKey(), e.getValue(), e.getKey() == 0 ? "(no line number)" : "", hottest, w);
            }
        }
        w.write("</tbody>\n</table>\n</section>\n");
    }

    private static void line(int file, int n, LineStat stat, String code, long hottest, Writer w) throws IOException {
        long own = stat == null ? 0 : stat.own;
        long total = stat == null ? 0 : stat.total;
        double heat = (double) own / hottest;
        StringBuilder sb = new StringBuilder(96 + code.length());
        sb.append("<tr id=\"").append(anchor(file, n)).append('"');
        if (stat != null) {
            sb.append(" class=\"hit\" data-own=\"").append(own).append("\" data-total=\"").append(total)
                    .append("\" data-heat=\"").append(String.format(Locale.ROOT, "%.4f", heat))
                    .append("\" style=\"--heat:").append(String.format(Locale.ROOT, "%.4f", heat)).append('"');
        }
        sb.append("><td class=\"n\"><a href=\"#").append(anchor(file, n)).append("\">").append(n).append("</a></td>")
                .append("<td class=\"c\">").append(stat == null ? "" : own).append("</td><td class=\"c\">")
                .append(stat == null ? "" : total).append("</td><td class=\"code\">").append(Xml.escape(code))
                .append("</td></tr>\n");
        w.write(sb.toString());
    }

    private static String counts(long own, long total, long all) {
        return "<td class=\"c\">" + own + "</td><td class=\"c\">" + pct(own, all) + "</td><td class=\"c\">" + total
                + "</td><td class=\"c\">" + pct(total, all) + "</td>";
    }

    private static String pct(long part, long all) {
        return String.format(Locale.ROOT, "%.2f", all == 0 ? 0.0 : 100.0 * part / all);
    }

    @Override
    public String extension() {
        return "html";
    }
}
