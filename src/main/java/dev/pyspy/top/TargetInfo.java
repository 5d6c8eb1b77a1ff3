package dev.pyspy.top;

/**
 * What the header says about the sampled program, fixed for the run.
 *
 * @param pid           the process given with -p or launched
 * @param command       its command line
 * @param pythonVersion e.g. "3.12.1"
 * @param rate          samples per second asked for (times are samples / rate)
 * @param subprocesses  whether child processes are sampled too (-s)
 */
public record TargetInfo(int pid, String command, String pythonVersion, int rate, boolean subprocesses) {
}
