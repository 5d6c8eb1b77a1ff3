package dev.pyspy.python;

/**
 * Which threads provably have not run since the walker last read them, told by whoever pauses the
 * target (blocking mode: a thread the pause left asleep unread, off the CPU and not switched in since
 * the last settled pause, which the pause confirms after the walk). A Python stack changes only while
 * its own thread runs (its frames hold its code objects, so none is freed meanwhile): such a thread's
 * last decode stands, and the walker reads nothing of it but its thread state.
 */
@FunctionalInterface
public interface StableThreads {
    /** No thread is known to be still: every one is read. */
    StableThreads NONE = (index, t) -> false;

    /**
     * Whether thread {@code t} of this walk (its thread state and ids read), at index {@code index},
     * has not run since the walker's last read of it.
     */
    boolean unchanged(int index, RawThreadStack t);
}
