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
    ACTIVE("threads doing work"),
    /** Every thread in every sample: time spent waiting shows up. */
    WALL("every thread in every sample"),
    /** Threads the kernel has running (or runnable), whatever their Python frames look like. */
    CPU("threads the kernel has on a CPU"),
    /** The thread holding the GIL, idle-looking or not. */
    GIL("the thread holding the GIL"),
    /** Threads raising or handling an exception, under an {@code <exception TypeName>} leaf frame. */
    EXCEPTION("threads raising or handling an exception");

    private final String description;

    SampleMode(String description) {
        this.description = description;
    }

    /** The name {@code --mode} takes (and output metadata shows; {@code active} for the default). */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The mode a recording made with py-spy's flags amounts to, for its metadata: the default mode
     * with {@code --idle} keeps what {@link #WALL} keeps, and with {@code --idle --gil} what {@link #GIL}
     * keeps ({@link #keeps}); {@code --gil} alone stays the default mode, restricted to the holder.
     */
    public SampleMode recorded(boolean idle, boolean gilOnly) {
        if (this != ACTIVE || !idle) {
            return this;
        }
        return gilOnly ? GIL : WALL;
    }

    /** What a sample of this mode counts, in a few words, for output metadata. */
    public String description(boolean gilOnly) {
        return this == ACTIVE && gilOnly ? description + ", the GIL holder only" : description;
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
