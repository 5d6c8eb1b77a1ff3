package dev.pyspy.output;

/** Hand-built profiles shared by the writer tests. */
final class TestProfiles {
    static final String TITLE = "pyspy record -- python heavy.py";
    static final double INTERVAL = 0.01;
    static final long START_MILLIS = 1_700_000_000_000L;
    static final int PID = 4242;
    static final ProfileThread MAIN = new ProfileThread(PID, 1001, "MainThread");
    static final ProfileThread WORKER = new ProfileThread(PID, 1002, "worker");

    static final FrameInfo MAIN_ROOT = FrameInfo.synthetic("thread (1001): MainThread");
    static final FrameInfo WORKER_ROOT = FrameInfo.synthetic("thread (1002): worker");
    static final FrameInfo MODULE = new FrameInfo("<module>", "heavy.py", 30, 1);
    static final FrameInfo MAIN_FN = new FrameInfo("main", "heavy.py", 25, 22);
    static final FrameInfo HEAVY_A = new FrameInfo("heavy_a", "heavy.py", 5, 3);
    static final FrameInfo HEAVY_B = new FrameInfo("heavy_b", "heavy.py", 12, 10);
    static final FrameInfo BOOTSTRAP = new FrameInfo("_bootstrap_inner", "/usr/lib/python3.11/threading.py", 1038, 1030);
    static final FrameInfo RUN = new FrameInfo("run", "/usr/lib/python3.11/threading.py", 975, 970);
    static final FrameInfo WORKER_LOOP = new FrameInfo("worker_loop", "heavy.py", 18, 16);
    static final FrameInfo DOT = new FrameInfo("dot", "/venv/lib/python3.11/site-packages/numpy/core/multiarray.py", 10, 8);

    static final int SAMPLES_PER_THREAD = 100;

    private TestProfiles() {
    }

    /**
     * Two threads sampled together every 10 ms for one second, each under its {@code -t} root.
     * MainThread: {@code <module>;main;heavy_a} 60, {@code <module>;main;heavy_b} 30, {@code <module>;main} 10.
     * worker: {@code _bootstrap_inner;run;worker_loop;heavy_b} 70, {@code ...;worker_loop;heavy_a;dot} 30.
     * So heavy_a is on 90 of 200 samples, heavy_b on 100.
     */
    static Profile heavy() {
        Profile p = new Profile(TITLE, INTERVAL, START_MILLIS);
        int main = p.threadIndex(MAIN);
        int worker = p.threadIndex(WORKER);
        int mainA = stack(p, MAIN_ROOT, MODULE, MAIN_FN, HEAVY_A);
        int mainB = stack(p, MAIN_ROOT, MODULE, MAIN_FN, HEAVY_B);
        int mainSelf = stack(p, MAIN_ROOT, MODULE, MAIN_FN);
        int workB = stack(p, WORKER_ROOT, BOOTSTRAP, RUN, WORKER_LOOP, HEAVY_B);
        int workDot = stack(p, WORKER_ROOT, BOOTSTRAP, RUN, WORKER_LOOP, HEAVY_A, DOT);
        long step = Math.round(INTERVAL * 1e9);
        for (int i = 0; i < SAMPLES_PER_THREAD; i++) {
            long t = i * step;
            int phase = i % 10;
            p.addSample(t, main, phase < 6 ? mainA : phase < 9 ? mainB : mainSelf);
            p.addSample(t, worker, phase < 7 ? workB : workDot);
        }
        p.setDurationNanos(SAMPLES_PER_THREAD * step);
        return p;
    }

    static int stack(Profile p, FrameInfo... frames) {
        int[] ids = new int[frames.length];
        for (int i = 0; i < frames.length; i++) {
            ids[i] = p.frameId(frames[i]);
        }
        return p.stackId(ids, ids.length);
    }

    /** Adds {@code count} samples of one stack to thread 0 (registered on first use), one interval apart. */
    static void add(Profile p, long count, FrameInfo... frames) {
        int thread = p.threadIndex(MAIN);
        int stack = stack(p, frames);
        long step = Math.round(p.intervalSeconds() * 1e9);
        long t = p.sampleCount() == 0 ? 0 : p.sampleTimeNanos(p.sampleCount() - 1) + step;
        for (long i = 0; i < count; i++) {
            p.addSample(t + i * step, thread, stack);
        }
    }

    static FrameInfo fn(String name) {
        return new FrameInfo(name, "app.py", 1, 1);
    }
}
