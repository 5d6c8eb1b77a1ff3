package dev.pyspy.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code --format table} as a script would, by its documented columns. */
public final class TableRows {
    /** Five blank-separated fields (own, own%, total, total%, function), then the location. */
    private static final Pattern ROW =
            Pattern.compile("^\\s*(\\d+)\\s+(\\d+\\.\\d\\d)%\\s+(\\d+)\\s+(\\d+\\.\\d\\d)%\\s+(\\S+)\\s+(.+)$");

    public record Row(long own, double ownPercent, long total, double totalPercent, String function, String location) {
    }

    private TableRows() {
    }

    /** The function rows; fails on a line that is neither a {@code #} comment nor a row. */
    public static List<Row> parse(String table) {
        List<Row> rows = new ArrayList<>();
        for (String line : table.split("\n")) {
            if (line.startsWith("#")) {
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a table row: " + line);
            }
            rows.add(new Row(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)), Long.parseLong(m.group(3)),
                    Double.parseDouble(m.group(4)), m.group(5), m.group(6)));
        }
        return rows;
    }

    /** The row of {@code function}; fails when there is none. */
    public static Row of(List<Row> rows, String function) {
        return rows.stream().filter(r -> r.function().equals(function)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + function + " in " + rows));
    }
}
