package dev.pyspy.top;

import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws the view as lines of text: the header, then the table sorted by the chosen column. The
 * same lines serve the terminal (styled, cut to its size) and the plain snapshots (toString()).
 */
public final class TopRenderer {
    /** The column headings and widths: right-aligned numbers, then the function, left-aligned. */
    private static final int[] WIDTHS = {8, 8, 9, 10};
    private static final String KEYS = "Keys: 1-4 sort  L lines/functions  R reset  ? help  q quit";
    /** A blank line is one space: JLine's Display moves onto an empty line with a backspace key code. */
    private static final AttributedString BLANK = new AttributedString(" ");
    private static final AttributedStyle BOLD = AttributedStyle.BOLD;
    private static final AttributedStyle BAR = AttributedStyle.INVERSE;
    private static final AttributedStyle SORTED = AttributedStyle.INVERSE.bold().underline();

    static final List<String> HELP = List.of(
            "pyspy top shows where the program spends its time, refreshed every --delay seconds.",
            "",
            "  %Own       share of the last interval in which the function was running its own code",
            "             (innermost frame); 100% is one thread busy all the time",
            "  %Total     share of the last interval in which it was anywhere on the stack",
            "  OwnTime    seconds of own time since start (or the last reset): samples / rate",
            "  TotalTime  seconds anywhere on the stack since start (or the last reset)",
            "",
            "  1 2 3 4    sort by %Own, %Total, OwnTime, TotalTime",
            "  L          toggle rows per line (function (file:line)) or per function",
            "  R          reset the statistics",
            "  ?          show or hide this help",
            "  q, Ctrl-C  quit (the program keeps running when attached with -p)",
            "",
            "Press any key to return.");

    /**
     * How to draw.
     *
     * @param sort        the column rows are sorted by
     * @param byLine      one row per line instead of per function
     * @param help        show the key help instead of the table
     * @param interactive a live terminal (key hints, styles)
     */
    public record View(SortColumn sort, boolean byLine, boolean help, boolean interactive) {
    }

    private TopRenderer() {
    }

    /**
     * The screen: at most {@code height} lines (0: no limit) of at most {@code width} columns
     * (0: no limit). {@code maxRows} caps the table rows as well (0: no cap).
     */
    public static List<AttributedString> render(TopStatus status, TopSnapshot snapshot, View view, int width,
                                                int height, int maxRows) {
        List<AttributedString> lines = new ArrayList<>();
        header(status, view, lines);
        lines.add(BLANK);
        if (view.help()) {
            for (String h : HELP) {
                lines.add(h.isEmpty() ? BLANK : new AttributedString(h));
            }
        } else {
            table(status, snapshot, view, width, height, maxRows, lines);
        }
        if (height > 0 && lines.size() > height) {
            lines = new ArrayList<>(lines.subList(0, height));
        }
        if (width > 0) {
            lines.replaceAll(l -> l.columnLength() > width ? l.columnSubSequence(0, width) : l);
        }
        return lines;
    }

    /** The same as plain text lines. */
    public static List<String> renderPlain(TopStatus status, TopSnapshot snapshot, View view, int maxRows) {
        return render(status, snapshot, view, 0, 0, maxRows).stream().map(l -> l.toString().stripTrailing()).toList();
    }

    private static void header(TopStatus s, View view, List<AttributedString> lines) {
        TargetInfo t = s.target();
        StringBuilder first = new StringBuilder("pyspy top - PID ").append(t.pid());
        if (!t.command().isEmpty()) {
            first.append(": ").append(oneLine(t.command()));
        }
        first.append(" - Python ").append(t.pythonVersion());
        if (t.subprocesses()) {
            first.append(" - ").append(s.processes()).append(s.processes() == 1 ? " process" : " processes");
        }
        lines.add(new AttributedString(first, BOLD));
        lines.add(new AttributedString(String.format(Locale.ROOT,
                "Samples: %d  Rate: %d/s (achieved %.1f/s)  Elapsed: %.1fs  GIL: %.2f%%  Active: %.2f%%  Threads: %d",
                s.samples(), t.rate(), s.achievedRate(), s.elapsedSeconds(), 100 * s.gilThreads(),
                100 * s.activeThreads(), s.threads())));
        if (s.errors() > 0) {
            double rate = s.samples() == 0 ? 0 : 100.0 * s.errors() / s.samples();
            String last = s.lastError() == null ? "" : "  Last error: " + oneLine(s.lastError());
            lines.add(new AttributedString(String.format(Locale.ROOT, "Errors: %d (%.2f%% of samples)%s",
                    s.errors(), rate, last), AttributedStyle.DEFAULT.foreground(AttributedStyle.RED)));
        }
        if (t.note() != null) {
            lines.add(new AttributedString("Note: " + oneLine(t.note())));
        }
        String order = "Sorted by " + view.sort().title() + ", one row per " + (view.byLine() ? "line" : "function");
        lines.add(new AttributedString(view.interactive() ? order + "    " + KEYS : order));
    }

    private static void table(TopStatus status, TopSnapshot snapshot, View view, int width, int height, int maxRows,
                              List<AttributedString> lines) {
        AttributedStyle plain = view.interactive() ? BAR : AttributedStyle.DEFAULT;
        AttributedStyle sorted = view.interactive() ? SORTED : AttributedStyle.DEFAULT;
        AttributedStringBuilder bar = new AttributedStringBuilder();
        SortColumn[] columns = SortColumn.values();
        for (int i = 0; i < columns.length; i++) {
            bar.styled(columns[i] == view.sort() ? sorted : plain, pad(columns[i].title(), WIDTHS[i]));
            bar.styled(plain, i + 1 < columns.length ? " " : "  ");
        }
        String function = view.byLine() ? "Function (filename:line)" : "Function (filename)";
        if (view.interactive() && width > bar.columnLength() + function.length()) {
            function = pad(function, -(width - bar.columnLength()));
        }
        bar.styled(plain, function);
        lines.add(bar.toAttributedString());

        List<FrameRow> rows = view.sort().sort(snapshot.rows(view.byLine()));
        if (rows.isEmpty()) {
            lines.add(new AttributedString("(no samples counted yet)"));
            return;
        }
        int room = height > 0 ? Math.max(0, height - lines.size()) : Integer.MAX_VALUE;
        int shown = Math.min(rows.size(), Math.min(room, maxRows > 0 ? maxRows : Integer.MAX_VALUE));
        boolean more = shown < rows.size() && !view.interactive();
        double base = status.intervalTicks();
        double rate = status.target().rate();
        for (int i = 0; i < shown; i++) {
            FrameRow r = rows.get(i);
            lines.add(new AttributedString(String.format(Locale.ROOT, "%8s %8s %9s %10s  %s",
                    percent(r.ownNow(), base), percent(r.totalNow(), base), seconds(r.ownAll(), rate),
                    seconds(r.totalAll(), rate), oneLine(r.label()))));
        }
        if (more) {
            lines.add(new AttributedString("(" + (rows.size() - shown) + " more rows)"));
        }
    }

    static String percent(long count, double base) {
        return String.format(Locale.ROOT, "%.2f%%", base <= 0 ? 0.0 : 100.0 * count / base);
    }

    static String seconds(long count, double rate) {
        return String.format(Locale.ROOT, "%.2fs", count / rate);
    }

    /** Right-aligns in {@code width} columns, or left-aligns in {@code -width}. */
    private static String pad(String s, int width) {
        return String.format(Locale.ROOT, "%" + width + "s", s);
    }

    /** Control characters (newlines in a {@code python -c} program, tabs) as spaces. */
    private static String oneLine(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return out.toString();
    }
}
