package dev.pyspy.sampler;

/** What the sampler remembers about one Python thread between samples. */
public final class TrackedThread {
    public final long threadId;
    public long osThreadId;
    public String name;
    /** {@link #name} was read since the thread list was last read (names are read for kept threads only). */
    boolean named;
    /**
     * The sample consumer's number for the thread (a recording: its index in the profile), so that
     * it finds its own data for the thread without a lookup; -1 until the consumer sets it.
     */
    public int consumerIndex = -1;

    TrackedThread(long threadId) {
        this.threadId = threadId;
    }
}
