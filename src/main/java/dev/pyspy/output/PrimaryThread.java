package dev.pyspy.output;

import java.util.List;

/**
 * The thread a viewer should open on: Python's main thread ({@code MainThread}), else the thread with
 * the most samples. With several processes ({@code -s}) the busiest of their main threads wins.
 */
public final class PrimaryThread {
    static final String MAIN_THREAD_NAME = "MainThread";

    private PrimaryThread() {
    }

    /** The index into {@link Profile#threads()} of the thread to show first; 0 for a profile without threads. */
    public static int of(Profile profile) {
        List<ProfileThread> threads = profile.threads();
        long[] samples = samplesPerThread(profile);
        int best = -1;
        for (int t = 0; t < threads.size(); t++) {
            if (MAIN_THREAD_NAME.equals(threads.get(t).name()) && (best < 0 || samples[t] > samples[best])) {
                best = t;
            }
        }
        if (best >= 0) {
            return best;
        }
        best = 0;
        for (int t = 1; t < threads.size(); t++) {
            if (samples[t] > samples[best]) {
                best = t;
            }
        }
        return best;
    }

    /** Samples per thread index, whether or not the profile keeps its timeline. */
    static long[] samplesPerThread(Profile profile) {
        long[] samples = new long[profile.threads().size()];
        for (long pair : profile.threadStackPairs()) {
            samples[(int) (pair >>> 32)] += profile.threadStackCount(pair);
        }
        return samples;
    }
}
