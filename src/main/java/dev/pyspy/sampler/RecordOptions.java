package dev.pyspy.sampler;

/**
 * What a recording keeps and how frames are labelled.
 *
 * @param rate           samples per second asked for
 * @param durationNanos  how long to record, 0 for until stopped or the target exits
 * @param blocking       pause the target while reading each sample
 * @param idle           keep threads that were not running
 * @param gilOnly        keep only the thread holding the GIL
 * @param threads        add a {@code thread (TID): name} root frame
 * @param subprocesses   follow child processes, adding a {@code process PID:"cmdline"} root frame
 * @param byFunction     aggregate by function (label with the function's first line)
 * @param lineNumbers    show line numbers
 * @param fullFilenames  show whole paths
 */
public record RecordOptions(int rate, long durationNanos, boolean blocking, boolean idle, boolean gilOnly,
                            boolean threads, boolean subprocesses, boolean byFunction, boolean lineNumbers,
                            boolean fullFilenames) {

    public long intervalNanos() {
        return 1_000_000_000L / rate;
    }
}
