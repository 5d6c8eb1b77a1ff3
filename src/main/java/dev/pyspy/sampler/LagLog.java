package dev.pyspy.sampler;

import dev.pyspy.util.Log;

/**
 * The {@code -v} account of skipped samples ("sampling fell N us behind schedule at T us"), kept by
 * one sampling thread. A lag of a millisecond or more is logged when it happens; shorter ones, which
 * a sampler that cannot keep up with a high rate has at nearly every tick, are summed and logged
 * once they add up to a millisecond, and at the end: the log stays an exact account of what was
 * skipped without a line per tick (writing that line cost more than the sample itself).
 */
final class LagLog {
    private static final Log log = Log.of(Sampler.class);
    private static final long LINE_NANOS = 1_000_000;
    private final Line out;
    private long unlogged;

    /** Where a line goes: {@code lagNanos} skipped up to {@code atNanos} after sampling began. */
    interface Line {
        void write(long lagNanos, long atNanos);
    }

    LagLog() {
        this((lag, at) -> {
            if (log.debugEnabled()) {
                log.debug("sampling fell {} us behind schedule at {} us: samples skipped", lag / 1_000, at / 1_000);
            }
        });
    }

    LagLog(Line out) {
        this.out = out;
    }

    /** A lag of {@code lagNanos} found {@code atNanos} after sampling began. */
    void add(long lagNanos, long atNanos) {
        unlogged += lagNanos;
        if (unlogged >= LINE_NANOS) {
            flush(atNanos);
        }
    }

    /** Logs what is not logged yet. */
    void flush(long atNanos) {
        if (unlogged > 0) {
            out.write(unlogged, atNanos);
            unlogged = 0;
        }
    }
}
