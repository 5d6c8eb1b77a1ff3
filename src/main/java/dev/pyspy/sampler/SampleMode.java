package dev.pyspy.sampler;

import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.python.ThreadActivity;

import java.util.Locale;

/**
 * What a sample counts ({@code --mode}): which threads of each tick are kept. {@link #ACTIVE} is the
 * default (py-spy's: running threads, by the kernel and the well-known waiting calls); py-spy's
 * {@code --idle} is {@link #WALL} and {@code --gil} is {@link #GIL}.
 */
public enum SampleMode {
    /** Threads doing work, as py-spy decides it ({@link ThreadActivity}). */
    ACTIVE("samples"),
    /** Every thread in every sample: time spent waiting shows up. */
    WALL("wall"),
    /** Threads the kernel has running (or runnable), whatever their Python frames look like. */
    CPU("cpu"),
    /** The thread holding the GIL. */
    GIL("gil"),
    /** Threads raising or handling an exception, under an {@code <exception TypeName>} leaf frame. */
    EXCEPTION("exception");

    private final String metadataName;

    SampleMode(String metadataName) {
        this.metadataName = metadataName;
    }

    /** The name {@code --mode} takes (and output metadata shows). */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What one kept sample stands for in output metadata: "wall", "cpu", "gil", "exception" or "samples". */
    public String metadataName() {
        return metadataName;
    }

    /** Whether the kernel's thread states are needed each sample. */
    boolean readsKernelStates(boolean idle) {
        return this == CPU || (this != WALL && this != EXCEPTION && !idle);
    }

    /**
     * Whether to keep {@code t}, whose kernel state is {@code kernelState} (0 when unknown) and
     * Python activity {@code active}. {@code idle} and {@code gilOnly} are py-spy's flags, which
     * combine with the default mode as py-spy combines them.
     */
    boolean keeps(char kernelState, boolean active, RawThreadStack t, boolean idle, boolean gilOnly, boolean gilApplies,
                  CodeInfo exception) {
        return switch (this) {
            // waiting inside an except block is time the error path costs too
            case EXCEPTION -> exception != null;
            case WALL -> true;
            // the kernel alone decides; a thread whose tid is unknown falls back to py-spy's guess
            case CPU -> kernelState != 0 ? kernelState == 'R' : active;
            case GIL -> (!gilApplies || t.ownsGil) && (idle || active);
            case ACTIVE -> (idle || active) && (!gilOnly || !gilApplies || t.ownsGil);
        };
    }
}
