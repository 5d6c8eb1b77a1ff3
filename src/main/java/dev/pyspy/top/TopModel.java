package dev.pyspy.top;

import dev.pyspy.sampler.SamplerStats;

/**
 * What the live view shows, refreshed every interval: the counts from the {@link TopAggregator}
 * and the sampler's statistics, plus how the user wants them shown. Used from the UI thread.
 */
public final class TopModel {
    private final TopAggregator aggregator;
    private final SamplerStats stats;
    private final TargetInfo target;
    private TopSnapshot snapshot = TopSnapshot.EMPTY;
    private TopStatus status;
    private long lastSamples;
    private SortColumn sort = SortColumn.OWN_PERCENT;
    private boolean byLine;
    private boolean help;

    public TopModel(TopAggregator aggregator, SamplerStats stats, TargetInfo target) {
        this.aggregator = aggregator;
        this.stats = stats;
        this.target = target;
        this.status = status(0);
    }

    /** Ends the current interval: takes the counts and statistics the view shows next. */
    public void refresh() {
        snapshot = aggregator.snapshot();
        long samples = stats.samples();
        long interval = samples >= lastSamples ? samples - lastSamples : samples;
        lastSamples = samples;
        // a tick whose stacks were counted before the sampler bumped its counter belongs here too
        status = status(Math.max(interval, snapshot.ticks()));
    }

    /** Forgets all counts and statistics (the {@code R} key). */
    public void reset() {
        aggregator.reset();
        stats.resetCounters();
        lastSamples = 0;
        snapshot = TopSnapshot.EMPTY;
        status = status(0);
    }

    private TopStatus status(long intervalTicks) {
        String lastError = stats.errors() > 0 ? stats.lastError() : null;
        return new TopStatus(target, stats.processes(), stats.threads(), stats.samples(), stats.elapsedNanos() / 1e9,
                stats.achievedRate(), stats.gilThreadsPerPass(), stats.activeThreadsPerPass(), stats.errors(), lastError,
                intervalTicks);
    }

    public TopSnapshot snapshot() {
        return snapshot;
    }

    public TopStatus status() {
        return status;
    }

    public SortColumn sort() {
        return sort;
    }

    public void sortBy(SortColumn column) {
        sort = column;
    }

    public boolean byLine() {
        return byLine;
    }

    public void toggleLines() {
        byLine = !byLine;
    }

    public boolean help() {
        return help;
    }

    public void showHelp(boolean on) {
        help = on;
    }

    /** How to draw the model now. */
    public TopRenderer.View view(boolean interactive) {
        return new TopRenderer.View(sort, byLine, help && interactive, interactive);
    }
}
