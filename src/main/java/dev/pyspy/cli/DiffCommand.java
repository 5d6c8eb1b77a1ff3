package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.output.AtomicFileOutput;
import dev.pyspy.output.DiffFlameGraphWriter;
import dev.pyspy.output.FlameGraphDiff;
import dev.pyspy.output.FlameGraphOptions;
import dev.pyspy.output.HtmlFlameGraphWriter;
import dev.pyspy.output.OutputFormat;
import dev.pyspy.output.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code pyspy diff}: a differential flame graph of two collapsed-stack files. Widths come from AFTER;
 * each frame is red where its self time grew and blue where it shrank (as a share of each file's
 * samples), the stronger the larger the change.
 */
@Command(name = "diff", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare two collapsed-stack files in a differential flame graph: widths from AFTER, "
                + "red where self time grew, blue where it shrank (normalised by each file's total samples).")
public final class DiffCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BEFORE", description = "Collapsed stacks of the baseline ('-': standard input).")
    String before;

    @Parameters(index = "1", paramLabel = "AFTER", description = "Collapsed stacks to compare with it ('-': standard input).")
    String after;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output file (default: AFTER-diff.svg beside AFTER).")
    Path output;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", converter = RecordCommand.FormatConverter.class,
            description = "flamegraph (SVG) or html (default: from the -o ending, else flamegraph).")
    OutputFormat format;

    @Mixin
    RenderCommand.FlameGraphCliOptions flame;

    @Mixin
    ForceOption force;

    @Mixin
    PlainNamesOption plainNames;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws PyspyException {
        flame.validate();
        if (before.equals("-") && after.equals("-")) {
            throw RecordCommand.usage("only one of BEFORE and AFTER can be standard input");
        }
        OutputFormat f = OutputFileChoice.format(format, output, OutputFormat.DEFAULT);
        if (!f.isFlameGraph()) {
            throw RecordCommand.usage("diff writes flamegraph or html, not " + f.formatName());
        }
        Path out = output != null ? output : RenderCommand.defaultOutput(after, f, "-diff");
        OutputFileChoice.refuseOverwrite(out, output != null, force.force);
        AtomicFileOutput.ensureWritable(out);
        Profile b = RenderCommand.readInput(before, 0.01, false, plainNames.plainNames);
        Profile a = RenderCommand.readInput(after, 0.01, false, plainNames.plainNames);
        String title = "Differential flame graph: " + RenderCommand.inputName(before) + " \u2192 "
                + RenderCommand.inputName(after);
        FlameGraphOptions options = flame.options(f, title);
        FlameGraphDiff diff = FlameGraphDiff.build(b, a, options.minWidthFraction());
        try {
            AtomicFileOutput.write(out, stream -> {
                if (f == OutputFormat.HTML) {
                    new HtmlFlameGraphWriter(options).writeDiff(diff, stream);
                } else {
                    new DiffFlameGraphWriter(options).write(diff, stream);
                }
            });
        } catch (IOException e) {
            throw new PyspyException(ExitCode.ERROR, "cannot write " + out + ": " + e.getMessage(), e);
        }
        System.err.printf(Locale.ROOT, "pyspy> Wrote differential %s (before: %d samples, after: %d samples) to '%s'%n",
                f.formatName(), diff.beforeTotal(), diff.afterTotal(), out);
        System.err.println(OutputFileChoice.hint(f, out));
        return ExitCode.OK.code;
    }
}
