package dev.pyspy.cli;

import dev.pyspy.sampler.Sampler;
import dev.pyspy.sampler.SamplerStats;

import java.io.OutputStream;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What a program that embeds the command line adds to {@code record} and {@code top}. The pyspy
 * command adds nothing ({@link #NONE}); the tests of docs/guarantees.md put a fault at the worst
 * moment or watch a long recording from outside through these.
 *
 * @param pauseListener  told before each walk, with the target paused
 * @param outputStream   wraps the stream the output file is written to
 * @param statsListener  given the sampler's counters while {@code record} runs (four times a second)
 */
record Instrumentation(Sampler.PauseListener pauseListener, UnaryOperator<OutputStream> outputStream,
                       Consumer<SamplerStats> statsListener) {
    static final Instrumentation NONE = new Instrumentation(Sampler.PauseListener.NONE, UnaryOperator.identity(),
            stats -> { });
}
