package dev.pyspy.process;

import dev.pyspy.testing.NeedsRoot;

import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pause invariant while threads come and go: once {@link ThreadPauser#interrupt()} returns,
 * every thread of the target is in a ptrace stop and reported stopped, or (when blocked threads are
 * left running) blocked off the CPU and not switched in again until the pause ends, or dead or
 * exiting. Checked from what the kernel says at that moment (one stat line; schedstat's switch-in
 * count), never after a delay.
 *
 * <p>The pauser runs on a thread of its own, like the sampler's: the tracer's
 * {@code waitpid(-1)} must not reap the targets this test started.
 */
@Timeout(300)
@NeedsRoot
class ThreadPauserChurnTest {

    /** {@code flags} bit of a thread in do_exit (include/linux/sched.h). */
    private static final long PF_EXITING = 0x4;

    private final List<TargetProcess> targets = new ArrayList<>();
    private final ExecutorService tracer = Executors.newSingleThreadExecutor(r -> new Thread(r, "tracer"));

    @AfterEach
    void tearDown() throws Exception {
        tracer.shutdownNow();
        for (TargetProcess t : targets) {
            t.close();
        }
    }

    @Test
    void persistentInterruptResumeThousandTimesWhileThreadsComeAndGo() throws Exception {
        int pid = startChurn();
        onTracer(() -> pauseWhileThreadsComeAndGo(pid, 1000, false));
        onTracer(() -> pauseWhileThreadsComeAndGo(pid, 1000, true));
    }

    /**
     * The same under a CPU-heavy load (two busy processes per core): threads are slow to stop, to
     * start and to exit, which is when a thread created during the pause could slip through.
     */
    @Test
    void theInvariantHoldsUnderACpuHeavyLoad() throws Exception {
        Interpreters.Interpreter python = python();
        Path scripts = TargetProcess.scripts("spin_target.py");
        for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
            TargetProcess busy = TargetProcess.start(python, scripts.resolve("spin_target.py"));
            targets.add(busy);
            busy.truth(30);
        }
        int pid = startChurn();
        onTracer(() -> pauseWhileThreadsComeAndGo(pid, 300, false));
        onTracer(() -> pauseWhileThreadsComeAndGo(pid, 300, true));
    }

    private static Interpreters.Interpreter python() {
        return Interpreters.host().stream().filter(i -> !i.isPython2() && !i.freeThreaded()).findFirst()
                .orElseThrow(() -> new AssertionError("no Python 3 interpreter on this machine"));
    }

    /**
     * The interpreter started by a shell that waits for it: a child of this JVM would be waited for
     * by Java's process reaper, which (its tracer being a thread of the same process) would take the
     * ptrace stops of its main thread. The shell's death kills it (where setpriv exists).
     */
    private static Interpreters.Interpreter notOurChild(Interpreters.Interpreter python) {
        String run = Files.isExecutable(Path.of("/usr/bin/setpriv")) ? "/usr/bin/setpriv --pdeathsig KILL -- \"$@\"" : "\"$@\"";
        List<String> prefix = new ArrayList<>(List.of("/bin/sh", "-c", run + " & wait", "sh"));
        prefix.addAll(python.prefix());
        return new Interpreters.Interpreter(python.majorMinor(), python.path(), prefix, python.name(), python.root(), true);
    }

    private int startChurn() throws Exception {
        Path scripts = TargetProcess.scripts("thread_churn_target.py");
        TargetProcess churn = TargetProcess.start(notOurChild(python()), scripts.resolve("thread_churn_target.py"));
        targets.add(churn);
        churn.truth(30);
        return churn.pid();
    }

    private interface Body {
        void run() throws Exception;
    }

    private void onTracer(Body body) throws Exception {
        try {
            tracer.submit(() -> {
                body.run();
                return null;
            }).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw (Exception) e.getCause();
        }
    }

    /**
     * {@code cycles} pauses at about 2 kHz; with {@code leaveBlocked}, as the sampler pauses: threads
     * blocked in the kernel stay running, and {@link ThreadPauser#confirmParked()} is asked until
     * it agrees.
     */
    private static void pauseWhileThreadsComeAndGo(int pid, int cycles, boolean leaveBlocked) throws Exception {
        Set<Integer> seen = new HashSet<>();
        int leftRunning = 0;
        ThreadPauser pauser = ThreadPauser.attach(pid);
        if (leaveBlocked) {
            pauser.leaveBlockedThreadsRunning();
        }
        // a thread that does not stop in time is reported running, not hidden: under load, wait for it
        pauser.setStopTimeout(TimeUnit.SECONDS.toNanos(60));
        long start = System.nanoTime();
        try {
            for (int i = 0; i < cycles; i++) {
                int[] stopped = pauser.interrupt();
                if (!leaveBlocked) {
                    String escaped = escapedThread(pid, stopped, new int[0], Map.of());
                    if (escaped != null) {
                        fail("pause " + i + ": " + escaped);
                    }
                } else {
                    // As the sampler reads: confirmParked must say no while a thread is neither stopped
                    // nor left asleep without being switched in since.
                    while (true) {
                        int[] parked = pauser.parkedThreads();
                        Map<Integer, Long> asleep = switchesIn(pid, parked);
                        String escaped = escapedThread(pid, stopped, parked, asleep);
                        boolean confirmed = pauser.confirmParked();
                        if (confirmed && escaped != null) {
                            fail("pause " + i + ", confirmed: " + escaped);
                        }
                        if (confirmed) {
                            leftRunning += parked.length;
                            break;
                        }
                        stopped = pauser.stoppedThreads();
                    }
                }
                for (int tid : stopped) {
                    seen.add(tid);
                }
                pauser.resume();
                // about 2 kHz, so that the target creates threads in between
                LockSupport.parkNanos(300_000);
            }
            assertFalse(pauser.targetExited());
        } finally {
            pauser.detach();
        }
        System.out.printf("%d pauses (%s) in %.2fs, %d distinct threads stopped, %d left asleep%n", cycles,
                leaveBlocked ? "blocked threads left running" : "every thread stopped",
                (System.nanoTime() - start) / 1e9, seen.size(), leftRunning);
        assertTrue(seen.size() > 30, "threads were created and destroyed meanwhile: " + seen.size());
        for (int tid : ProcFs.threadIds(pid)) {
            assertEquals(0, ProcFs.threadTracerPid(pid, tid), "thread " + tid + " still traced");
        }
    }

    /**
     * The pause invariant, read at once: each listed thread is in a ptrace stop and among
     * {@code stopped}, or dead, or exiting (past the point of no return a thread cannot stop), or
     * among {@code parked}, the threads the pauser left running because they were blocked off the
     * CPU, and not switched onto a CPU since its count in {@code asleep} was read. Returns null when
     * it holds, else which thread broke it.
     */
    static String escapedThread(int pid, int[] stopped, int[] parked, Map<Integer, Long> asleep)
            throws PyspyException {
        for (int tid : ProcFs.threadIds(pid)) {
            long switches = switchesIn(pid, tid);
            String stat = read(pid, tid, "stat");
            if (stat == null || switches < 0) {
                continue; // gone
            }
            String[] f = ProcFs.statFieldsAfterComm(stat);
            char state = f[0].charAt(0);
            boolean exiting = (Long.parseLong(f[6]) & PF_EXITING) != 0;
            if (state == 'Z' || state == 'X' || exiting) {
                continue;
            }
            if (state == 't' && Arrays.binarySearch(stopped, tid) >= 0) {
                continue;
            }
            Long before = asleep.get(tid);
            if (before == null || before != switches) {
                return "thread " + tid + " in state " + state + " escaped the pause ("
                        + (before == null ? "neither stopped nor left asleep" : "left asleep, switched in "
                        + before + " -> " + switches + " times") + "; schedstat " + String.valueOf(read(pid, tid, "schedstat")).strip()
                        + "): " + stat;
            }
        }
        return null;
    }

    static Map<Integer, Long> switchesIn(int pid, int[] tids) {
        Map<Integer, Long> out = new HashMap<>();
        for (int tid : tids) {
            out.put(tid, switchesIn(pid, tid));
        }
        return out;
    }

    /** schedstat's third field: how many times the thread was switched onto a CPU; -1 when gone. */
    static long switchesIn(int pid, int tid) {
        String s = read(pid, tid, "schedstat");
        return s == null ? -1 : Long.parseLong(s.strip().split(" ")[2]);
    }

    private static String read(int pid, int tid, String file) {
        try {
            return Files.readString(ProcFs.procPath(pid, "task", Integer.toString(tid), file));
        } catch (IOException gone) {
            return null;
        }
    }
}
