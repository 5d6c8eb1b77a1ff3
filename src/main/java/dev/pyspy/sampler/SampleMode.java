package dev.pyspy.sampler;

import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.RawThreadStack;
import dev.pyspy.python.ThreadActivity;

import java.util.Locale;

/**
 * What a sample counts ({@code --mode}): which threads of each tick are kept. {@link #ACTIVE} is the
 * default (py-spy's: running threads, by the kernel and the well-known waiting calls); py-spy's
 * {@code --idle} is {@link #WALL}; its {@code --gil} keeps the default mode's rule for idle threads
 * (the holder only when it looks active, or with {@code --idle}), which {@link #GIL} drops.
 */
public enum SampleMode {
    /** Threads doing work, as py-spy decides it ({@link ThreadActivity}). */
    ACTIVE("samples"),
    /** Every thread in every sample: time spent waiting shows up. */
    WALL("wall"),
    /** Threads the kernel has running (or runnable), whatever their Python frames look like. */
    CPU("cpu"),
    /** The thread holding the GIL, idle-looking or not. */
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
        return this == CPU || (this == ACTIVE && !idle);
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
            // 't': still held by our pauser since the last sample, which stopped it while it ran
            case CPU -> kernelState != 0 ? kernelState == 'R' || kernelState == 't' : active;
            // the holder is doing work by holding it, whatever the kernel said just before the pause
            case GIL -> !gilApplies || t.ownsGil;
            case ACTIVE -> (idle || active) && (!gilOnly || !gilApplies || t.ownsGil);
        };
    }
}
