package dev.pyspy.python;

import java.util.ArrayList;
import java.util.List;

/** Every thread's raw stack from one walk; the thread objects are reused by the next walk. */
public final class RawStacks {
    private final List<RawThreadStack> pool = new ArrayList<>();
    private int count;

    RawThreadStack next() {
        if (count == pool.size()) {
            pool.add(new RawThreadStack());
        }
        RawThreadStack t = pool.get(count++);
        t.clear();
        return t;
    }

    /** Gives back the stack {@link #next} handed out last (it turned out empty). */
    void dropLast() {
        count--;
    }

    void reset() {
        // the last walk found far fewer threads than are pooled (a garbage thread list, or a
        // program that ended thousands of threads): let the surplus go
        int keep = Math.max(64, 2 * count);
        if (pool.size() > 4 * keep) {
            pool.subList(keep, pool.size()).clear();
        }
        count = 0;
    }

    public int threadCount() {
        return count;
    }

    public RawThreadStack thread(int i) {
        return pool.get(i);
    }
}
