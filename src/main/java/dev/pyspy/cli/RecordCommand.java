package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.output.AtomicFileOutput;
import dev.pyspy.output.FlameGraphOptions;
import dev.pyspy.output.OutputFormat;
import dev.pyspy.output.Profile;
import dev.pyspy.output.ProfileWriter;
import dev.pyspy.output.StackRecorder;
import dev.pyspy.sampler.RecordOptions;
import dev.pyspy.sampler.SampleMode;
import dev.pyspy.sampler.Sampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code pyspy record}: sample a program for a while and write a profile file. */
@Command(name = "record", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Record samples of a Python program and write a flame graph or another profile format.")
public final class RecordCommand implements Callable<Integer> {
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ");

    private final Instrumentation instrumentation;

    @Mixin
    TargetOptions target;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Output file (default: <program or pid>-<time>.<ext>).")
    Path output;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "flamegraph (SVG), html (canvas page for huge profiles), raw, speedscope, chrometrace, pprof, "
                    + "gecko (Firefox Profiler), table (also: text) or heatmap (default: from the -o ending, else flamegraph).")
    OutputFormat requestedFormat;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS",
            description = "Seconds to record (default: until Ctrl-C or the program exits).")
    Double duration;

    @Mixin
    SamplingOptions sampling;

    @Option(names = {"-F", "--function"}, description = "Aggregate by function (its first line) instead of by line.")
    boolean function;

    @Option(names = {"--nolineno"}, description = "Leave line numbers out of frame labels.")
    boolean noLineNumbers;

    @Option(names = {"-t", "--threads"}, description = "Add a root frame per thread: thread (TID): name.")
    boolean threads;

    @Option(names = {"--full-filenames"}, description = "Show full paths instead of paths from the top-level package.")
    boolean fullFilenames;

    @Mixin
    PlainNamesOption plainNames;

    @Mixin
    OpcodesOption opcodes;

    @Option(names = {"--flame"}, description = "Flame graph with the root at the bottom (default: icicle, root on top).")
    boolean flame;

    @Option(names = {"--width"}, paramLabel = "PIXELS", description = "Flame graph width (default: ${DEFAULT-VALUE}).")
    int width = FlameGraphOptions.DEFAULT_WIDTH;

    @Option(names = {"--min-width"}, paramLabel = "PERCENT",
            description = "Leave out frames narrower than this share of all samples (default: 0.1 for flamegraph, 0 for html).")
    Double minWidthPercent;

    @Option(names = {"--title"}, description = "Flame graph title (default: the pyspy command line).")
    String title;

    @Mixin
    TableCliOptions table;

    @Mixin
    CommonOptions common;

    RecordCommand(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
    }

    @Override
    public Integer call() throws PyspyException {
        validate();
        OutputFormat format = OutputFileChoice.format(requestedFormat, output, OutputFormat.DEFAULT);
        boolean toStdout = OutputFileChoice.toStandardOutput(format, output);
        RecordOptions options = sampling.options()
                .durationNanos(duration == null ? 0 : (long) (duration * 1e9))
                .threads(threads)
                .byFunction(function)
                .lineNumbers(!noLineNumbers)
                .fullFilenames(fullFilenames)
                .plainNames(plainNames.plainNames)
                .opcodes(opcodes.opcodes)
                .build();
        // before anything is attached or launched: the output (or the current directory, where the
        // default name goes) must be writable
        if (output != null) {
            AtomicFileOutput.ensureWritable(output);
        } else if (!toStdout) {
            try {
                AtomicFileOutput.ensureWritable(Path.of(format.formatName() + "." + format.extension()));
            } catch (PyspyException e) {
                String reason = e.getMessage().substring(e.getMessage().indexOf(": ") + 2);
                throw usage("cannot write the output file to the current directory (give one with -o FILE): " + reason);
            }
        }
        PrintStream err = System.err;
        try (Target t = Target.open(target.pid, target.command, sampling.subprocesses, err)) {
            sampling.checkModeApplies(t.python());
            opcodes.checkApplies(t.python());
            Path out = toStdout ? null : output != null ? output : defaultOutput(t, format);
            if (out != null) {
                AtomicFileOutput.ensureWritable(out);
            }
            String heading = title != null ? title : Main.commandLine();
            Profile profile = new Profile(heading, 1.0 / sampling.rate, System.currentTimeMillis(), format.needsTimeline());
            SampleMode mode = options.mode().recorded(options.idle(), options.gilOnly());
            profile.setMode(mode.cliName(), mode.description(options.gilOnly()));
            StatusLine status = new StatusLine(err, options.durationNanos(), Tty.stderr());
            sampling.checkAsyncAware(t.python());
            Sampler sampler = new Sampler(options, t.rootPid(), List.of(t.python()), new StackRecorder(profile, options),
                    status::behind, instrumentation.pauseListener());
            SamplingRun run = new SamplingRun(sampler);
            String noGil = SamplingOptions.gilDoesNotApply(sampling.gil, t.python());
            if (noGil != null) {
                err.println("pyspy> " + noGil);
            }
            run.start(t);
            // once Control-C is handled (run.start)
            err.printf(Locale.ROOT, "pyspy> Sampling process %d times a second%s%s. Press Control-C to exit.%n",
                    sampling.rate, duration == null ? "" : " for " + seconds(duration) + " seconds",
                    options.blocking() ? "" : " (nonblocking)");
            try {
                while (run.running()) {
                    status.update(sampler.stats());
                    instrumentation.statsListener().accept(sampler.stats());
                    run.awaitEnd(250);
                }
                status.clear();
                profile.setDurationNanos(sampler.stats().elapsedNanos());
                write(out, format, profile);
                err.println("pyspy> " + endReason(run));
                err.printf(Locale.ROOT, "pyspy> Wrote %s data to %s. Samples: %d Errors: %d Passes: %d (%.1f/s)%n",
                        format.formatName(), out == null ? "standard output" : "'" + out + "'",
                        sampler.stats().keptThreadSamples(), sampler.stats().errors(),
                        sampler.stats().samples(), sampler.stats().achievedRate());
                if (out != null) {
                    err.println(OutputFileChoice.hint(format, out));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                run.stop();
            } finally {
                run.outputDone();
            }
            if (run.failure() != null) {
                return Main.report(new java.io.PrintWriter(err, true), run.failure());
            }
            return t.finish(run.end() == Sampler.End.TARGET_EXITED && !run.interruptedBySignal());
        }
    }

    /** As given: "1", "0.5" (py-spy's message shows its whole seconds the same way). */
    private static String seconds(double value) {
        return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** Writes the profile to {@code out}, or to standard output when it is null. */
    private void write(Path out, OutputFormat format, Profile profile) throws PyspyException {
        FlameGraphOptions flameOptions = FlameGraphOptions.defaults().withTitle(profile.title()).withWidth(width)
                .withMinWidthFraction(minWidthPercent != null ? minWidthPercent / 100 : format.defaultMinWidthFraction())
                .withIcicle(!flame);
        ProfileWriter writer = format.writer(flameOptions, table.options(), OutputFileChoice.recordedSources(profile));
        try {
            if (out == null) {
                writer.write(profile, System.out);
                System.out.flush();
            } else {
                AtomicFileOutput.write(out, stream -> writer.write(profile, instrumentation.outputStream().apply(stream)));
            }
        } catch (IOException e) {
            throw new PyspyException(ExitCode.ERROR, "cannot write " + (out == null ? "standard output" : out) + ": "
                    + e.getMessage(), e);
        }
    }

    private static String endReason(SamplingRun run) {
        if (run.failure() != null) {
            return "Stopped sampling because of an error";
        }
        if (run.end() == null || run.end() == Sampler.End.STOPPED) {
            return "Stopped sampling (interrupted)";
        }
        return run.end() == Sampler.End.DURATION ? "Stopped sampling: duration reached"
                : "Stopped sampling because the process exited";
    }

    private Path defaultOutput(Target t, OutputFormat format) {
        String name = t.shortName(target.command) + "-" + ZonedDateTime.now().format(FILE_TIME) + "." + format.extension();
        return Path.of(name);
    }

    /** Option rules in one place: all are checked before anything is attached or launched. */
    private void validate() throws PyspyException {
        target.validate();
        sampling.validate();
        table.validate();
        if (duration != null && !(duration > 0)) {
            throw usage("--duration must be a positive number of seconds, not " + duration);
        }
        if (opcodes.opcodes && function) {
            throw usage("--opcodes labels frames by instruction: it cannot be used with --function");
        }
        opcodes.validate(sampling.nativeFrames);
        if (function && noLineNumbers) {
            throw usage("--function and --nolineno cannot be used together");
        }
        if (width < 100) {
            throw usage("--width must be at least 100 pixels");
        }
        if (minWidthPercent != null && !(minWidthPercent >= 0 && minWidthPercent < 100)) {
            throw usage("--min-width must be a percentage in [0, 100)");
        }
    }

    static PyspyException usage(String message) {
        return new PyspyException(ExitCode.USAGE, message);
    }

    static final class FormatConverter implements ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            try {
                return OutputFormat.fromName(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
