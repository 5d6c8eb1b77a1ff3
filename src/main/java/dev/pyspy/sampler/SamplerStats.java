package dev.pyspy.sampler;

/**
 * Counters the sampler thread updates and status displays read (volatile reads); under
 * {@code --subprocesses} each process's sampling thread adds its counts while holding this object.
 */
public final class SamplerStats {
    volatile long startNanos;
    /** Sampling passes: one per tick, over every process and thread. */
    volatile long samples;
    /** Thread samples kept (after the idle and --gil filters): what py-spy calls samples. */
    volatile long keptThreadSamples;
    volatile long errors;
    volatile String lastError;
    volatile long lagNanos;
    volatile int processes;
    volatile int threads;
    volatile long gilSamples;
    volatile long activeSamples;
    volatile boolean finished;
    volatile long reads;
    volatile long samplerCpuNanos;
    /** Wall time the targets spent paused (blocking mode), from the first interrupt to the last resume. */
    volatile long pausedNanos;

    /**
     * Adds the counts one process's sampling thread gathered in {@code part} since the last call,
     * and zeroes them there; the caller holds this object.
     */
    void drain(SamplerStats part) {
        keptThreadSamples += part.keptThreadSamples;
        gilSamples += part.gilSamples;
        activeSamples += part.activeSamples;
        pausedNanos += part.pausedNanos;
        reads += part.reads;
        errors += part.errors;
        if (part.lastError != null) {
            lastError = part.lastError;
        }
        part.keptThreadSamples = 0;
        part.gilSamples = 0;
        part.activeSamples = 0;
        part.pausedNanos = 0;
        part.reads = 0;
        part.errors = 0;
        part.lastError = null;
    }

    /** Time since sampling started; 0 before it has. */
    public long elapsedNanos() {
        long start = startNanos;
        return start == 0 ? 0 : System.nanoTime() - start;
    }

    /** Sampling passes (ticks), however many threads each found. */
    public long samples() {
        return samples;
    }

    /** Thread samples kept for the profile, as py-spy counts its samples. */
    public long keptThreadSamples() {
        return keptThreadSamples;
    }

    public long errors() {
        return errors;
    }

    public String lastError() {
        return lastError;
    }

    /** Samples per second achieved so far. */
    public double achievedRate() {
        long elapsed = elapsedNanos();
        return elapsed <= 0 ? 0 : samples * 1e9 / elapsed;
    }

    public long lagNanos() {
        return lagNanos;
    }

    public int processes() {
        return processes;
    }

    public int threads() {
        return threads;
    }

    /**
     * Kept thread samples holding the GIL per sampling pass, as py-spy's top shows it: 1.0 is one
     * thread's worth, so it stays meaningful however many threads there are.
     */
    public double gilThreadsPerPass() {
        long n = samples;
        return n == 0 ? 0 : (double) gilSamples / n;
    }

    /** Kept thread samples that were running, per sampling pass: 4 busy threads give 4.0. */
    public double activeThreadsPerPass() {
        long n = samples;
        return n == 0 ? 0 : (double) activeSamples / n;
    }

    /** Memory read system calls per sample. */
    public double readsPerSample() {
        long n = samples;
        return n == 0 ? 0 : (double) reads / n;
    }

    /** Blocking mode: how long each sample kept its target stopped, on average. */
    public double pausedMicrosPerSample() {
        long n = samples;
        return n == 0 ? 0 : pausedNanos / 1e3 / n;
    }

    /** CPU time the sampler thread used per sample (excluding JVM start-up and output writing). */
    public double samplerCpuMicrosPerSample() {
        long n = samples;
        return n == 0 ? 0 : samplerCpuNanos / 1e3 / n;
    }

    public boolean finished() {
        return finished;
    }

    /** Resets the counters shown to users (top's "R" key). */
    public void resetCounters() {
        startNanos = System.nanoTime();
        samples = 0;
        keptThreadSamples = 0;
        errors = 0;
        lastError = null;
        gilSamples = 0;
        activeSamples = 0;
    }
}
