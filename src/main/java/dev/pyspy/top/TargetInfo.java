package dev.pyspy.top;

/**
 * What the header says about the sampled program, fixed for the run.
 *
 * @param pid           the process given with -p or launched
 * @param command       its command line
 * @param pythonVersion e.g. "3.12.1"
 * @param rate          samples per second asked for (times are samples / rate)
 * @param subprocesses  whether child processes are sampled too (-s)
 * @param note          a remark for the header (an option that does not apply), or null
 */
public record TargetInfo(int pid, String command, String pythonVersion, int rate, boolean subprocesses, String note) {

    public TargetInfo(int pid, String command, String pythonVersion, int rate, boolean subprocesses) {
        this(pid, command, pythonVersion, rate, subprocesses, null);
    }
}
