package dev.pyspy.top;

/** Why a view ended. */
public enum TopExit {
    /** The user quit ({@code q}, Ctrl-C in the live view). */
    QUIT,
    /** Sampling ended by itself: the program exited, a signal stopped pyspy, or the sampler failed. */
    SAMPLING_ENDED,
    /** Nobody reads the snapshots any more (a closed pipe). */
    OUTPUT_CLOSED
}
