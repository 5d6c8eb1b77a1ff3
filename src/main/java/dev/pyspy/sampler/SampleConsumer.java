package dev.pyspy.sampler;

import dev.pyspy.python.RawThreadStack;

/**
 * Receives each kept thread sample on the sampler thread (a recording, the live top view); under
 * {@code --subprocesses}, on each process's sampling thread, one sample at a time.
 */
public interface SampleConsumer {

    void accept(long nanosSinceStart, SampledProcess process, TrackedThread thread, RawThreadStack sample);
}
