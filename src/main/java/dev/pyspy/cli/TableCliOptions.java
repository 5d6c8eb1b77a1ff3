package dev.pyspy.cli;

import dev.pyspy.PyspyException;
import dev.pyspy.output.TableOptions;
import picocli.CommandLine.Option;

/** The options of {@code --format table}, shared by {@code record} and {@code render}. */
final class TableCliOptions {
    @Option(names = {"--sort"}, paramLabel = "COLUMN", description = "table: sort by own (default) or total samples.")
    String sort = "own";

    @Option(names = {"--top"}, paramLabel = "N", description = "table: print only the first N functions (default: all).")
    int top;

    void validate() throws PyspyException {
        if (!sort.equals("own") && !sort.equals("total")) {
            throw RecordCommand.usage("--sort takes own or total, not '" + sort + "'");
        }
        if (top < 0) {
            throw RecordCommand.usage("--top must be a positive number of rows");
        }
    }

    TableOptions options() {
        return new TableOptions(sort.equals("total"), top);
    }
}
