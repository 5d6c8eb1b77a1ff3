package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * A pstats-like table of functions ({@code --format table}, also {@code text}), to read in a terminal
 * or feed to scripts. Lines starting with {@code #} are comments (title, sampling mode, sample count, column names);
 * every other line is one function:
 * <pre>
 *      OWN   OWN%    TOTAL TOTAL%  FUNCTION  FILE:LINE
 * </pre>
 * the first five fields separated by blanks (own samples, own share in percent, total samples, total
 * share, function name), the location the rest of the line (file names may hold blanks). Shares are of
 * all samples, with two decimals; rows are sorted by own samples unless {@link TableOptions#byTotal()}.
 * See {@link FunctionStats} for what own and total count.
 */
public final class TableWriter implements ProfileWriter {
    static final String COLUMNS = "#     OWN    OWN%    TOTAL  TOTAL%  FUNCTION  FILE:LINE";

    private final TableOptions options;

    public TableWriter() {
        this(TableOptions.DEFAULT);
    }

    public TableWriter(TableOptions options) {
        this.options = options;
    }

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        FunctionStats stats = FunctionStats.of(profile);
        List<FunctionStats.Row> rows = stats.sorted(options.byTotal());
        int shown = options.top() == 0 ? rows.size() : Math.min(options.top(), rows.size());
        long all = stats.totalSamples();
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        if (profile.title() != null) {
            w.write("# " + profile.title().replace('\n', ' ') + "\n");
        }
        if (profile.modeLabel() != null) {
            w.write("# " + profile.modeLabel() + "\n");
        }
        w.write(String.format(Locale.ROOT, "# %d samples, %d functions%s, sorted by %s samples%n", all, rows.size(),
                shown < rows.size() ? " (top " + shown + " shown)" : "", options.byTotal() ? "total" : "own"));
        w.write(COLUMNS + "\n");
        for (int i = 0; i < shown; i++) {
            FunctionStats.Row r = rows.get(i);
            w.write(String.format(Locale.ROOT, "%9d %6.2f%% %8d %6.2f%%  %s  %s%n", r.own(), percent(r.own(), all),
                    r.total(), percent(r.total(), all), r.name(), r.location()));
        }
        w.flush();
    }

    private static double percent(long part, long all) {
        return all == 0 ? 0 : 100.0 * part / all;
    }

    @Override
    public String extension() {
        return "txt";
    }
}
