package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.sampler.RecordOptions;
import dev.pyspy.sampler.Sampler;
import dev.pyspy.top.PlainView;
import dev.pyspy.top.TargetInfo;
import dev.pyspy.top.TerminalView;
import dev.pyspy.top.TopAggregator;
import dev.pyspy.top.TopExit;
import dev.pyspy.top.TopModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code pyspy top}: a live view of the functions a running program spends its time in. */
@Command(name = "top", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show a live view of the functions a Python program spends its time in, like top.",
                "Keys: 1-4 sort by a column, L rows per line or per function, R reset, ? help, q quit.",
                "When stdout is not a terminal, prints a plain-text snapshot every --delay seconds."})
public final class TopCommand implements Callable<Integer> {
    /** Longest wait for the sampler thread to let go of the target after the view ends. */
    private static final long SAMPLER_STOP_MILLIS = 10_000;
    private static final double MAX_DELAY = 3600;

    private final Instrumentation instrumentation;

    @Mixin
    TargetOptions target;

    @Mixin
    SamplingOptions sampling;

    @Option(names = {"--full-filenames"}, description = "Show full paths instead of paths from the top-level package.")
    boolean fullFilenames;

    @Mixin
    OpcodesOption opcodes;

    @Option(names = {"--delay"}, paramLabel = "SECONDS",
            description = "Seconds between refreshes (default: ${DEFAULT-VALUE}).")
    double delay = 1;

    @Mixin
    CommonOptions common;

    TopCommand(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
    }

    @Override
    public Integer call() throws PyspyException {
        validate();
        RecordOptions options = sampling.options().fullFilenames(fullFilenames).opcodes(opcodes.opcodes).build();
        PrintStream err = System.err;
        try (Target t = Target.open(target.pid, target.command, sampling.subprocesses, err)) {
            sampling.checkModeApplies(t.python());
            opcodes.checkApplies(t.python());
            TerminalView screen = Tty.stdout() ? openTerminal() : null;
            try {
                return show(t, options, screen, err);
            } finally {
                if (screen != null) {
                    screen.close();
                }
            }
        }
    }

    private int show(Target t, RecordOptions options, TerminalView screen, PrintStream err) throws PyspyException {
        sampling.checkAsyncAware(t.python());
        TopAggregator aggregator = new TopAggregator(fullFilenames);
        Sampler sampler = new Sampler(options, t.rootPid(), List.of(t.python()), aggregator, lag -> { }, instrumentation.pauseListener());
        TargetInfo info = new TargetInfo(t.python().pid(), String.join(" ", t.python().cmdline()),
                t.python().version().toString(), sampling.rate, sampling.subprocesses,
                SamplingOptions.gilDoesNotApply(sampling.gil, t.python()));
        TopModel model = new TopModel(aggregator, sampler.stats(), info);
        long delayNanos = (long) (delay * 1e9);
        SamplingRun run = new SamplingRun(sampler);
        run.start(t);
        TopExit exit;
        try {
            exit = screen != null ? screen.run(model, run::running, delayNanos, t.launched())
                    : PlainView.run(model, run::running, delayNanos, System.out);
        } catch (IOException e) {
            throw new PyspyException(ExitCode.ERROR, "terminal: " + e.getMessage(), e);
        } finally {
            // the view has restored the terminal: now let go of the target (never left stopped)
            run.stop();
            awaitSampler(run);
            run.outputDone();
        }
        if (run.failure() != null) {
            t.finish(false);
            return Main.report(new PrintWriter(err, true), run.failure());
        }
        if (exit != TopExit.SAMPLING_ENDED || run.interruptedBySignal()) {
            return t.finish(false);
        }
        if (screen != null) {
            // the live table went away with the alternate screen: leave the last one behind
            model.refresh();
            PlainView.print(model, System.out, Math.max(5, screen.rows() - 10));
        }
        err.printf(Locale.ROOT, "pyspy> Stopped sampling because the process exited. Samples: %d Errors: %d%n",
                sampler.stats().samples(), sampler.stats().errors());
        return t.finish(true);
    }

    private static TerminalView openTerminal() throws PyspyException {
        try {
            return TerminalView.open();
        } catch (IOException | RuntimeException e) {
            throw new PyspyException(ExitCode.ERROR, "cannot use the terminal: " + e.getMessage(), e);
        }
    }

    private static void awaitSampler(SamplingRun run) {
        try {
            run.awaitEnd(SAMPLER_STOP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void validate() throws PyspyException {
        target.validate();
        sampling.validate();
        opcodes.validate(sampling.nativeFrames);
        if (!(delay > 0 && delay <= MAX_DELAY)) {
            throw RecordCommand.usage("--delay must be a number of seconds in (0, " + (int) MAX_DELAY + "], not " + delay);
        }
        if (delay * sampling.rate < 1) {
            throw RecordCommand.usage("--delay " + delay + " at --rate " + sampling.rate
                    + " takes no sample per refresh; raise one of them");
        }
    }
}
