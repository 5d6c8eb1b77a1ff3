package dev.pyspy.sampler;

/** What the sampler remembers about one Python thread between samples. */
public final class SampledThread {
    public final long threadId;
    public long osThreadId;
    public String name;
    /** Set by a {@link StackRecorder}: the thread's index in the profile and its root frame id. */
    int profileIndex = -1;
    int rootFrame = -1;

    SampledThread(long threadId) {
        this.threadId = threadId;
    }
}
