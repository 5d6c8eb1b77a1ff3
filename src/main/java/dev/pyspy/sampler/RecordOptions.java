package dev.pyspy.sampler;

/**
 * What a recording keeps and how frames are labelled. Made with {@link #builder(int)}, which names
 * each setting.
 *
 * @param rate           samples per second asked for
 * @param durationNanos  how long to record, 0 for until stopped or the target exits
 * @param blocking       pause the target while reading each sample
 * @param idle           keep threads that were not running
 * @param gilOnly        keep only the thread holding the GIL
 * @param threads        add a {@code thread (TID): name} root frame
 * @param subprocesses   follow child processes, adding a {@code process PID:"cmdline"} root frame
 * @param byFunction     aggregate by function (label with the function's first line)
 * @param lineNumbers    show line numbers
 * @param fullFilenames  show whole paths
 * @param plainNames     label functions by their plain name ({@code run}), as py-spy does, instead of
 *                       the qualified name 3.11+ records ({@code Thread.run})
 * @param mode           which threads a sample counts ({@code --mode}); {@code idle} and {@code gilOnly}
 *                       are what py-spy's flags (and the modes that stand for them) set
 * @param gcFrames       put a {@code <GC>} frame on the thread that is collecting garbage ({@code --no-gc}: not)
 * @param asyncAware     a thread running an asyncio task is sampled as that task: rooted at {@code <task NAME>}
 * @param asyncAllTasks  with {@code asyncAware}: every suspended task is sampled too, under the process's first thread
 * @param nativeFrames   unwind each stopped thread's native stack and splice the Python frames
 *                       into it ({@code --native}; blocking only)
 * @param opcodes        label each frame with the instruction it executes ({@code --opcodes})
 */
public record RecordOptions(int rate, long durationNanos, boolean blocking, boolean idle, boolean gilOnly,
                            boolean threads, boolean subprocesses, boolean byFunction, boolean lineNumbers,
                            boolean fullFilenames, boolean plainNames, SampleMode mode,
                            boolean gcFrames, boolean asyncAware, boolean asyncAllTasks, boolean nativeFrames,
                            boolean opcodes) {

    public long intervalNanos() {
        return 1_000_000_000L / rate;
    }

    /** Options at {@code rate}: until stopped, blocking, active threads only, line numbers, short paths. */
    public static Builder builder(int rate) {
        return new Builder(rate);
    }

    /** Named settings for {@link RecordOptions}; each defaults as {@link #builder(int)} says. */
    public static final class Builder {
        private final int rate;
        private long durationNanos;
        private boolean blocking = true;
        private boolean idle;
        private boolean gilOnly;
        private boolean threads;
        private boolean subprocesses;
        private boolean byFunction;
        private boolean lineNumbers = true;
        private boolean fullFilenames;
        private boolean plainNames;
        private boolean asyncAware;
        private boolean asyncAllTasks;
        private SampleMode mode = SampleMode.ACTIVE;
        private boolean gcFrames = true;
        private boolean nativeFrames;
        private boolean opcodes;

        private Builder(int rate) {
            this.rate = rate;
        }

        public Builder durationNanos(long nanos) {
            this.durationNanos = nanos;
            return this;
        }

        public Builder blocking(boolean on) {
            this.blocking = on;
            return this;
        }

        public Builder idle(boolean on) {
            this.idle = on;
            return this;
        }

        public Builder gilOnly(boolean on) {
            this.gilOnly = on;
            return this;
        }

        public Builder threads(boolean on) {
            this.threads = on;
            return this;
        }

        public Builder subprocesses(boolean on) {
            this.subprocesses = on;
            return this;
        }

        public Builder byFunction(boolean on) {
            this.byFunction = on;
            return this;
        }

        public Builder lineNumbers(boolean on) {
            this.lineNumbers = on;
            return this;
        }

        public Builder fullFilenames(boolean on) {
            this.fullFilenames = on;
            return this;
        }

        public Builder nativeFrames(boolean on) {
            this.nativeFrames = on;
            return this;
        }

        public Builder opcodes(boolean on) {
            this.opcodes = on;
            return this;
        }

        public Builder plainNames(boolean on) {
            this.plainNames = on;
            return this;
        }

        public Builder asyncAware(boolean on) {
            this.asyncAware = on;
            return this;
        }

        public Builder asyncAllTasks(boolean on) {
            this.asyncAllTasks = on;
            return this;
        }

        public Builder mode(SampleMode m) {
            this.mode = m;
            return this;
        }

        public Builder gcFrames(boolean on) {
            this.gcFrames = on;
            return this;
        }

        public RecordOptions build() {
            return new RecordOptions(rate, durationNanos, blocking, idle, gilOnly, threads, subprocesses, byFunction,
                    lineNumbers, fullFilenames, plainNames, mode, gcFrames, asyncAware, asyncAllTasks, nativeFrames,
                    opcodes);
        }
    }
}
