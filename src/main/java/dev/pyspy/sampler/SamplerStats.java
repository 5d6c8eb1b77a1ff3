package dev.pyspy.sampler;

/** Counters the sampler thread updates and status displays read (single writer, volatile reads). */
public final class SamplerStats {
    volatile long startNanos;
    volatile long samples;
    volatile long errors;
    volatile String lastError;
    volatile long lagNanos;
    volatile int processes;
    volatile int threads;
    volatile long threadSamples;
    volatile long gilSamples;
    volatile long activeSamples;
    volatile boolean finished;
    volatile long reads;
    volatile long samplerCpuNanos;
    /** Wall time the targets spent paused (blocking mode), from the first interrupt to the last resume. */
    volatile long pausedNanos;

    /** Time since sampling started; 0 before it has. */
    public long elapsedNanos() {
        long start = startNanos;
        return start == 0 ? 0 : System.nanoTime() - start;
    }

    public long samples() {
        return samples;
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

    /** Of all thread samples seen (kept or not), the fraction in which the thread held the GIL. */
    public double gilFraction() {
        long n = threadSamples;
        return n == 0 ? 0 : (double) gilSamples / n;
    }

    public double activeFraction() {
        long n = threadSamples;
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
        errors = 0;
        lastError = null;
        threadSamples = 0;
        gilSamples = 0;
        activeSamples = 0;
    }
}
