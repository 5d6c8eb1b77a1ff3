package dev.pyspy.sampler;

import dev.pyspy.python.RawThreadStack;

/** Receives each kept thread sample on the sampler thread (a recording, the live top view). */
public interface SampleConsumer {

    void accept(long nanosSinceStart, SampledProcess process, TrackedThread thread, RawThreadStack sample);
}
