package dev.pyspy.python;

/**
 * Which threads cannot have run Python since the walker last read them, told by the GIL alone (no
 * pause, no per-thread read): a Python stack changes only while its thread holds the GIL, and the
 * GIL's {@code switch_number} grows whenever a thread other than its {@code last_holder} takes it.
 * When a walk reads the same count and the same last holder as the walk before, both read before
 * any thread state of their walks, no other thread took the GIL in between: every thread but that
 * holder still has the stack the last walk read (itself read when none of them could move, so not
 * torn). Thousands of idle threads then cost a nonblocking sample one thread-state read each.
 *
 * <p>Such a walk need not even read the still threads' states ({@link ThreadStateList}): only the
 * holder can have changed the list (threads are added at its head, and a thread removes itself
 * holding the GIL). A thread state removed by another without the GIL (the C API allows it, for one
 * cleared before) would go unseen: every {@link #FULL_READ_EVERY}th walk reads every state anyway.
 *
 * <p>Only a walk of one interpreter is judged (a subinterpreter may have a GIL of its own), and only
 * after a complete walk whose count was read first ({@link GilReader#switches}).
 */
final class GilSwitches implements StableThreads {
    /** Quiet walks in a row that may read only the holder's state: then one reads every state. */
    static final int FULL_READ_EVERY = 16;

    /** The count and last holder the last complete walk read first; {@code baseline} false when none. */
    private long lastSwitches;
    private long lastHolder;
    private boolean baseline;
    /** This walk's, staged until it completes. */
    private long switches = -1;
    private long holder;
    /** Whether nobody but {@link #holder} took the GIL since the last walk read its count. */
    private boolean quiet;
    /** Walks since every thread state was last read. */
    private int sinceFullRead;

    /** Off: no walk is judged (see {@link StackWalker#judgeByGil}). */
    private boolean enabled = true;

    void enable(boolean on) {
        enabled = on;
    }

    /** A walk starts that is not judged, unless {@link #begin} follows. */
    void notJudged() {
        switches = -1;
        quiet = false;
    }

    /** Whether this walk may be judged before its thread states are read (and most left unread). */
    boolean mayJudge() {
        return baseline && sinceFullRead < FULL_READ_EVERY;
    }

    /** This walk read every thread state. */
    void readAll() {
        sinceFullRead = 0;
    }

    /** This walk read only the holder's thread state and its neighbours'. */
    void readAroundHolder() {
        sinceFullRead++;
    }

    /**
     * Starts a walk with what {@code gil} read before its thread states (its {@code switches} -1
     * when it did not); {@code oneInterpreter}: the walk has no other (the judged case).
     */
    void begin(GilReader gil, boolean oneInterpreter) {
        switches = oneInterpreter && enabled ? gil.switches() : -1;
        holder = gil.lastHolder();
        quiet = baseline && switches >= 0 && switches == lastSwitches && holder == lastHolder;
        baseline = false; // until this walk completes
    }

    /** The walk completed: its count is the next walk's baseline. */
    void completed() {
        baseline = switches >= 0;
        lastSwitches = switches;
        lastHolder = holder;
    }

    /** Whether this walk found the GIL unmoved since the last one ({@link #unchanged} may say yes). */
    boolean quiet() {
        return quiet;
    }

    @Override
    public boolean unchanged(int index, RawThreadStack t) {
        return quiet && t.threadState != holder;
    }
}
