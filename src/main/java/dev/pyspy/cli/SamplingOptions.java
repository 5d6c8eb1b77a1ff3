package dev.pyspy.cli;

import dev.pyspy.PyspyException;
import dev.pyspy.sampler.RecordOptions;
import dev.pyspy.sampler.SampleMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** How to sample: rate, which processes and threads, pausing or not. Shared by record and top. */
final class SamplingOptions {
    static final int MAX_RATE = 1_000_000;

    @Option(names = {"-r", "--rate"}, paramLabel = "RATE", description = "Samples per second (default: ${DEFAULT-VALUE}).")
    int rate = 100;

    @Option(names = {"-s", "--subprocesses"}, description = "Also profile child processes (multiprocessing, subprocess).")
    boolean subprocesses;

    @Option(names = {"--mode"}, paramLabel = "MODE", converter = ModeConverter.class,
            description = {"What a sample counts: wall (every thread, waiting or not: what --idle keeps), "
                    + "cpu (threads the kernel has on a CPU, whatever Python is doing), "
                    + "gil (the thread holding the GIL, even when it looked idle to the kernel just before; "
                    + "--gil keeps it only when it looks active, as py-spy), "
                    + "exception (threads raising or handling an exception, under an <exception TypeName> frame).",
                    "Default: threads doing work, as py-spy decides it. --idle combines only with wall (the same) and gil, "
                            + "--gil only with gil."})
    SampleMode mode;

    @Option(names = {"-g", "--gil"}, description = "Only keep samples of the thread holding the GIL.")
    boolean gil;

    @Option(names = {"-i", "--idle"}, description = "Keep samples of idle (not running) threads.")
    boolean idle;

    @Option(names = {"--no-gc"}, description = "Leave out the <GC> frame put on a thread while it collects garbage.")
    boolean noGc;

    @Option(names = {"--nonblocking"}, description = "Do not pause the program while sampling (lower overhead, stacks may be torn).")
    boolean nonblocking;

    @Option(names = {"-n", "--native"},
            description = "Sample native (C/C++) frames too, with the Python frames in the interpreter's place (blocking mode only).")
    boolean nativeFrames;

    @Option(names = {"--async-aware"}, description = "Sample a thread running an asyncio task as that task: "
            + "its frames rooted at <task NAME> instead of the event loop's (CPython 3.8+).")
    boolean asyncAware;

    @Option(names = {"--async-mode"}, paramLabel = "MODE", description = "With --async-aware: 'running' (default) "
            + "samples the tasks running on a thread; 'all' also every task suspended in an await, each sample "
            + "(a wall-clock view of where tasks wait).")
    String asyncMode;

    /** The recording options these set; the command adds its own. */
    RecordOptions.Builder options() {
        SampleMode m = mode();
        return RecordOptions.builder(rate).blocking(!nonblocking).idle(idle || m == SampleMode.WALL)
                .gilOnly(gil || m == SampleMode.GIL).subprocesses(subprocesses).mode(m)
                .gcFrames(!noGc).asyncAware(asyncAware).asyncAllTasks("all".equals(asyncMode))
                .nativeFrames(nativeFrames);
    }

    /** The mode asked for: {@code --mode}, else the default (py-spy's {@code --gil} is the default mode's filter). */
    SampleMode mode() {
        return mode != null ? mode : SampleMode.ACTIVE;
    }

    /** The option rules of {@code --async-mode}: a usage error (exit 2) before anything is attached. */
    void validateAsyncMode() throws PyspyException {
        if (asyncMode != null && !asyncMode.equals("running") && !asyncMode.equals("all")) {
            throw RecordCommand.usage("--async-mode must be 'running' or 'all', not '" + asyncMode + "'");
        }
        if (asyncMode != null && !asyncAware) {
            throw RecordCommand.usage("--async-mode needs --async-aware");
        }
    }

    /** {@code --async-aware} on a version that cannot do it: refused before sampling starts, naming the ones that can. */
    void checkAsyncAware(dev.pyspy.python.PythonProcess python) throws PyspyException {
        if (asyncAware) {
            dev.pyspy.python.AsyncStacks.of(python);
        }
    }

    /**
     * What to tell the user when {@code --gil} was asked for but cannot apply to {@code python}
     * (free-threaded builds have no GIL; some stripped old builds hide its holder); null when it applies.
     * Sampling then keeps every thread's samples.
     */
    static String gilDoesNotApply(boolean gilRequested, dev.pyspy.python.PythonProcess python) {
        if (!gilRequested || python.gil().applies()) {
            return null;
        }
        return python.version().freeThreaded()
                ? "--gil does not apply: Python " + python.version() + " has no GIL; sampling all threads"
                : "--gil does not apply: pyspy cannot tell which thread holds the GIL in this Python "
                        + python.version() + "; sampling all threads";
    }

    /**
     * {@code --mode gil} where there is no GIL to hold (free-threaded builds; stripped old builds that
     * hide the holder): refused once the target is known, where {@code --gil} only warns as py-spy does.
     */
    void checkModeApplies(dev.pyspy.python.PythonProcess python) throws PyspyException {
        if (mode == SampleMode.GIL && !python.gil().applies()) {
            throw new PyspyException(dev.pyspy.ExitCode.UNSUPPORTED_VERSION, python.version().freeThreaded()
                    ? "--mode gil does not apply: Python " + python.version() + " is free-threaded and has no GIL"
                    : "--mode gil does not apply: pyspy cannot tell which thread holds the GIL in this Python "
                            + python.version());
        }
        String noExceptions = mode == SampleMode.EXCEPTION ? dev.pyspy.python.ExceptionStates.missing(python.layout()) : null;
        if (noExceptions != null) {
            throw new PyspyException(dev.pyspy.ExitCode.UNSUPPORTED_VERSION, "--mode exception does not apply: pyspy does not know "
                    + "where Python " + python.version() + " keeps " + noExceptions);
        }
    }

    void validate() throws PyspyException {
        if (rate <= 0 || rate > MAX_RATE) {
            throw RecordCommand.usage("--rate must be between 1 and " + MAX_RATE + " samples per second, not " + rate);
        }
        if (nativeFrames && nonblocking) {
            throw RecordCommand.usage("--native needs the threads stopped: it cannot be combined with --nonblocking");
        }
        validateAsyncMode();
        if (mode != null && idle && mode != SampleMode.WALL && mode != SampleMode.GIL) {
            throw RecordCommand.usage("--idle cannot be used with --mode " + mode.cliName()
                    + " (--idle is --mode wall)");
        }
        if (mode != null && gil && mode != SampleMode.GIL) {
            throw RecordCommand.usage("--gil cannot be used with --mode " + mode.cliName() + " (--gil is --mode gil)");
        }
    }

    /** {@code --mode} values: the modes' names, not the default one's. */
    static final class ModeConverter implements ITypeConverter<SampleMode> {
        @Override
        public SampleMode convert(String value) {
            for (SampleMode m : SampleMode.values()) {
                if (m != SampleMode.ACTIVE && m.cliName().equals(value)) {
                    return m;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a mode: use wall, cpu, gil or exception");
        }
    }
}
