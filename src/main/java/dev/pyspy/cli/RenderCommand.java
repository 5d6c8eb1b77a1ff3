package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.output.AtomicFileOutput;
import dev.pyspy.output.CollapsedStackReader;
import dev.pyspy.output.FlameGraphOptions;
import dev.pyspy.output.OutputFormat;
import dev.pyspy.output.Profile;
import dev.pyspy.output.ProfileWriter;
import dev.pyspy.output.SourceFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code pyspy render}: draw a flame graph (or any other output format) from a collapsed-stack file,
 * such as {@code pyspy record -f raw} or py-spy's {@code raw} output, or flamegraph.pl's input.
 */
@Command(name = "render", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Render collapsed stacks (pyspy's or py-spy's raw output, the input of flamegraph.pl) as a flame graph.")
public final class RenderCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "INPUT",
            description = "Collapsed-stack file: lines 'frame;frame;...;leaf COUNT'; '-' reads standard input.")
    String input;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Output file (default: INPUT with the format's extension; the table goes to standard output).")
    Path output;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", converter = RecordCommand.FormatConverter.class,
            description = "flamegraph (SVG), html, raw, speedscope, chrometrace, pprof, gecko, table (also: text) "
                    + "or heatmap (default: from the -o ending, else flamegraph).")
    OutputFormat format;

    @Mixin
    FlameGraphCliOptions flame;

    @Mixin
    TableCliOptions table;

    @Mixin
    ForceOption force;

    @Mixin
    PlainNamesOption plainNames;

    @Option(names = {"-r", "--rate"}, paramLabel = "RATE",
            description = "Samples a second the input was recorded at, for formats with a time axis (default: ${DEFAULT-VALUE}).")
    int rate = 100;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws PyspyException {
        flame.validate();
        if (rate < 1) {
            throw RecordCommand.usage("--rate must be a positive number of samples a second");
        }
        table.validate();
        OutputFormat f = OutputFileChoice.format(format, output, OutputFormat.DEFAULT);
        boolean toStdout = OutputFileChoice.toStandardOutput(f, output);
        Path out = toStdout ? null : output != null ? output : defaultOutput(input, f, "");
        if (out != null) {
            OutputFileChoice.refuseOverwrite(out, output != null, force.force);
            AtomicFileOutput.ensureWritable(out);
        }
        Profile profile = readInput(input, 1.0 / rate, f.needsTimeline(), plainNames.plainNames);
        String title = flame.title != null ? flame.title : inputName(input);
        ProfileWriter writer = f.writer(flame.options(f, title), table.options(), SourceFiles.LOCAL);
        try {
            if (out == null) {
                writer.write(profile, System.out);
                System.out.flush();
                return ExitCode.OK.code;
            }
            AtomicFileOutput.write(out, profile, writer);
        } catch (IOException e) {
            throw new PyspyException(ExitCode.ERROR, "cannot write " + (out == null ? "standard output" : out) + ": "
                    + e.getMessage(), e);
        }
        PrintStream err = System.err;
        err.printf(Locale.ROOT, "pyspy> Wrote %s of %d samples to '%s'%n", f.formatName(), profile.totalSamples(), out);
        err.println(OutputFileChoice.hint(f, out));
        return ExitCode.OK.code;
    }

    /** INPUT's name with the format's extension (and {@code suffix} before it), beside INPUT. */
    static Path defaultOutput(String input, OutputFormat f, String suffix) {
        if (input.equals("-")) {
            return Path.of("flamegraph" + suffix + "." + f.extension());
        }
        Path in = Path.of(input);
        String name = String.valueOf(in.getFileName());
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        Path out = in.resolveSibling(base + suffix + "." + f.extension());
        return out.equals(in) ? in.resolveSibling(base + suffix + ".out." + f.extension()) : out;
    }

    static String inputName(String input) {
        return input.equals("-") ? "standard input" : String.valueOf(Path.of(input).getFileName());
    }

    /**
     * Reads a collapsed-stack file; every problem with it is a usage error (exit code 2) with a one-line
     * message: missing or unreadable file, not UTF-8 text, a malformed line, or no samples at all.
     */
    static Profile readInput(String input, double intervalSeconds, boolean keepTimeline, boolean plainNames)
            throws PyspyException {
        String name = inputName(input);
        CollapsedStackReader reader = new CollapsedStackReader(name, intervalSeconds, keepTimeline).plainNames(plainNames);
        Profile profile;
        try {
            if (input.equals("-")) {
                var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
                profile = reader.read(new InputStreamReader(System.in, decoder), name);
            } else {
                Path in = Path.of(input);
                if (Files.isDirectory(in)) {
                    throw RecordCommand.usage("cannot read " + input + ": it is a directory");
                }
                profile = reader.readFile(in);
            }
        } catch (NoSuchFileException e) {
            throw RecordCommand.usage("cannot read " + input + ": no such file");
        } catch (AccessDeniedException e) {
            throw RecordCommand.usage("cannot read " + input + ": permission denied");
        } catch (CharacterCodingException e) {
            throw RecordCommand.usage(input + " is not a UTF-8 text file of collapsed stacks");
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw RecordCommand.usage("malformed input " + m.replace('\n', ' '));
        } catch (java.nio.file.InvalidPathException e) {
            throw RecordCommand.usage("cannot read " + input + ": " + e.getMessage());
        }
        if (profile.totalSamples() == 0) {
            throw RecordCommand.usage(input + " holds no samples (expected lines 'frame;frame;...;leaf COUNT')");
        }
        return profile;
    }

    /** The flame graph options shared by {@code render} and {@code diff}. */
    static final class FlameGraphCliOptions {
        @Option(names = {"--title"}, paramLabel = "TEXT", description = "Title of the graph (default: the input's name; for diff: both names).")
        String title;

        @Option(names = {"--width"}, paramLabel = "PIXELS",
                description = "Width of the SVG without scripts; in a browser it fits the window (default: ${DEFAULT-VALUE}).")
        int width = FlameGraphOptions.DEFAULT_WIDTH;

        @Option(names = {"--min-width"}, paramLabel = "PERCENT",
                description = "Leave out frames narrower than this share of all samples (default: 0.1 for flamegraph, 0 for html).")
        Double minWidthPercent;

        @Option(names = {"--flame"}, description = "Root at the bottom (default: icicle, root on top).")
        boolean flame;

        void validate() throws PyspyException {
            if (width < 100) {
                throw RecordCommand.usage("--width must be at least 100 pixels");
            }
            if (minWidthPercent != null && !(minWidthPercent >= 0 && minWidthPercent < 100)) {
                throw RecordCommand.usage("--min-width must be a percentage in [0, 100)");
            }
        }

        FlameGraphOptions options(OutputFormat f, String defaultTitle) {
            return FlameGraphOptions.defaults().withTitle(title != null ? title : defaultTitle).withWidth(width)
                    .withMinWidthFraction(minWidthPercent != null ? minWidthPercent / 100 : f.defaultMinWidthFraction())
                    .withIcicle(!flame);
        }
    }
}
