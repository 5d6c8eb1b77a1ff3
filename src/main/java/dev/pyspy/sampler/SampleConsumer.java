package dev.pyspy.sampler;

import dev.pyspy.python.ThreadSample;

/** Receives each kept thread sample on the sampler thread (a recording, the live top view). */
public interface SampleConsumer {

    void accept(long nanosSinceStart, SampledProcess process, SampledThread thread, ThreadSample sample);
}
