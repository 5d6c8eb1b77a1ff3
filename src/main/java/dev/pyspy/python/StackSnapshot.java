package dev.pyspy.python;

import java.util.ArrayList;
import java.util.List;

/** Every thread's raw stack from one walk; the thread objects are reused by the next walk. */
public final class StackSnapshot {
    private final List<ThreadSample> pool = new ArrayList<>();
    private int count;

    ThreadSample next() {
        if (count == pool.size()) {
            pool.add(new ThreadSample());
        }
        ThreadSample t = pool.get(count++);
        t.clear();
        return t;
    }

    void reset() {
        count = 0;
    }

    public int threadCount() {
        return count;
    }

    public ThreadSample thread(int i) {
        return pool.get(i);
    }
}
