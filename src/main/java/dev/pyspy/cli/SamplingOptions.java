package dev.pyspy.cli;

import dev.pyspy.PyspyException;
import dev.pyspy.sampler.RecordOptions;
import picocli.CommandLine.Option;

/** How to sample: rate, which processes and threads, pausing or not. Shared by record and top. */
final class SamplingOptions {
    static final int MAX_RATE = 1_000_000;

    @Option(names = {"-r", "--rate"}, paramLabel = "RATE", description = "Samples per second (default: ${DEFAULT-VALUE}).")
    int rate = 100;

    @Option(names = {"-s", "--subprocesses"}, description = "Also profile child processes (multiprocessing, subprocess).")
    boolean subprocesses;

    @Option(names = {"-g", "--gil"}, description = "Only keep samples of the thread holding the GIL.")
    boolean gil;

    @Option(names = {"-i", "--idle"}, description = "Keep samples of idle (not running) threads.")
    boolean idle;

    @Option(names = {"--nonblocking"}, description = "Do not pause the program while sampling (lower overhead, stacks may be torn).")
    boolean nonblocking;

    @Option(names = {"-n", "--native"},
            description = "Sample native (C/C++) frames too, with the Python frames in the interpreter's place (blocking mode only).")
    boolean nativeFrames;

    /** The recording options these set; the command adds its own. */
    RecordOptions.Builder options() {
        return RecordOptions.builder(rate).blocking(!nonblocking).idle(idle).gilOnly(gil).subprocesses(subprocesses)
                .nativeFrames(nativeFrames);
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

    void validate() throws PyspyException {
        if (rate <= 0 || rate > MAX_RATE) {
            throw RecordCommand.usage("--rate must be between 1 and " + MAX_RATE + " samples per second, not " + rate);
        }
        if (nativeFrames && nonblocking) {
            throw RecordCommand.usage("--native needs the threads stopped: it cannot be combined with --nonblocking");
        }
    }
}
