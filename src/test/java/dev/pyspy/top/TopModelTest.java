package dev.pyspy.top;

import dev.pyspy.sampler.SamplerStats;
import org.junit.jupiter.api.Test;

import static dev.pyspy.top.Stacks.code;
import static dev.pyspy.top.Stacks.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopModelTest {
    @Test
    void refreshTakesTheIntervalAndResetClearsCountsAndStatistics() {
        TopAggregator aggregator = new TopAggregator(false);
        TopModel model = new TopModel(aggregator, new SamplerStats(), new TargetInfo(1, "python3", "3.12.1", 100, false));
        assertTrue(model.snapshot().functions().isEmpty());
        aggregator.add(1, 0, stack(code(0, "work", "/a.py", 1), 2));
        aggregator.add(2, 0, stack(code(0, "work", "/a.py", 1), 2));
        model.refresh();
        assertEquals(1, model.snapshot().functions().size());
        assertEquals(2, model.status().intervalTicks(), "at least the ticks whose stacks were counted");
        model.reset();
        assertTrue(model.snapshot().functions().isEmpty());
        assertEquals(0, model.status().samples());
        model.refresh();
        assertTrue(model.snapshot().functions().isEmpty(), "the reset reached the aggregator");
    }

    @Test
    void beforeTheFirstSampleNoTimeHasElapsed() {
        TopModel model = new TopModel(new TopAggregator(false), new SamplerStats(),
                new TargetInfo(1, "python3", "3.12.1", 100, false));
        assertEquals(0.0, model.status().elapsedSeconds(), "not the time since the machine booted");
        assertEquals(0.0, model.status().achievedRate());
    }

    @Test
    void viewStateFollowsTheKeys() {
        TopModel model = new TopModel(new TopAggregator(false), new SamplerStats(),
                new TargetInfo(1, "python3", "3.12.1", 100, false));
        assertEquals(SortColumn.OWN_PERCENT, model.view(true).sort());
        model.sortBy(SortColumn.TOTAL_TIME);
        model.toggleLines();
        model.showHelp(true);
        TopRenderer.View v = model.view(true);
        assertEquals(SortColumn.TOTAL_TIME, v.sort());
        assertTrue(v.byLine());
        assertTrue(v.help());
        assertFalse(model.view(false).help(), "plain snapshots never show the help");
        model.toggleLines();
        assertFalse(model.view(true).byLine());
    }
}
