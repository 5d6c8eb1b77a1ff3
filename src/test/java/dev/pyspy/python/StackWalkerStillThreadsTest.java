package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static dev.pyspy.testing.RawStacks.describe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In blocking mode the walker reads nothing but the thread state of a thread the pause left asleep
 * unread (off the CPU, not switched in since the last settled pause), and reuses its last decode. This
 * proves that the stack a confirmed pause keeps is never stale: the target's rovers wake now and then,
 * move into another function at the same depth and sleep again, so a rover left unread may well have
 * run since its last read; each walk that the pauser confirms (as the sampler does: walk again until
 * {@link ThreadPauser#confirmParked()}) must equal a fresh decode, by an independent walker, of the
 * same paused memory, taken before the confirmation. Most threads must have been taken as still, and
 * rovers must have been seen in several functions, or the test proves nothing.
 */
@Timeout(600)
@NeedsRoot
class StackWalkerStillThreadsTest {
    private static final int SLEEPERS = 200;
    private static final int ROVERS = 32;
    private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(15);

    /** Each frame model: frame objects (2.7, 3.10), cframes and data stacks (3.12), current_frame (newest). */
    static Stream<Interpreter> interpreters() {
        return Interpreters.versionsAndNewest("2.7", "3.10", "3.12");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void stacksOfThreadsLeftAsleepUnreadEqualFreshDecodes(Interpreter interpreter) throws Exception {
        Path scripts = TargetProcess.scripts("rovers_target.py");
        try (TargetProcess target = TargetProcess.start(interpreter, scripts.resolve("rovers_target.py"),
                Integer.toString(SLEEPERS), Integer.toString(ROVERS))) {
            target.awaitReady();
            int pid = target.pid();
            PythonProcess reusing = PythonProcess.attach(pid);
            PythonProcess fresh = PythonProcess.attach(pid);
            fresh.walker().judgeByGil(false); // reads every thread: the oracle
            Map<Long, Integer> tids = kernelTids(reusing);
            Set<Long> takenStill = new HashSet<>();
            RawStacks kept = new RawStacks();
            long pauses = 0;
            long stillThreads = 0;
            long rewalks = 0;
            long caught = 0;
            int torn = 0;
            Map<Long, Set<String>> roverFunctions = new HashMap<>();
            Map<Long, String> lastStacks = new HashMap<>();
            try (ThreadPauser pauser = ThreadPauser.attach(pid)) {
                pauser.leaveBlockedThreadsRunning();
                StableThreads asleep = (index, t) -> {
                    Integer tid = tids.get(t.threadId);
                    boolean still = tid != null && pauser.asleepSinceLastPause(tid);
                    if (still) {
                        takenStill.add(t.threadId);
                    }
                    return still;
                };
                long end = System.nanoTime() + RUN_NANOS;
                while (System.nanoTime() < end) {
                    RawStacks oracle = new RawStacks();
                    MemoryReadException reusingFailed;
                    boolean freshFailed;
                    takenStill.clear();
                    long pauseStart = System.nanoTime();
                    pauser.interrupt();
                    try {
                        while (true) {
                            reusingFailed = null;
                            try {
                                reusing.walker().walk(kept, asleep);
                            } catch (MemoryReadException e) {
                                reusingFailed = e;
                            }
                            freshFailed = false;
                            try {
                                fresh.walker().walk(oracle);
                            } catch (MemoryReadException e) {
                                freshFailed = true; // a thread stopped mid-call: a torn chain, no oracle
                            }
                            if (pauser.confirmParked()) {
                                break;
                            }
                            rewalks++;
                        }
                    } finally {
                        pauser.resume();
                    }
                    pauses++;
                    // As long between pauses as in one: a rover's wake-up lands between two pauses about half the
                    // time however slow the machine makes the pauses (a wake-up during a pause is found by the
                    // confirmation before anything is reused, and makes the rover a waker, looked at each time).
                    LockSupport.parkNanos(Math.max(500_000, System.nanoTime() - pauseStart));
                    if (freshFailed) {
                        torn++;
                        lastStacks.clear();
                        continue;
                    }
                    if (reusingFailed != null) {
                        throw new AssertionError("the walk with still threads failed where a fresh one did not, pause "
                                + pauses, reusingFailed);
                    }
                    stillThreads += reusing.walker().stillThreads();
                    assertEquals(oracle.threadCount(), kept.threadCount(), "threads in pause " + pauses);
                    for (int i = 0; i < kept.threadCount(); i++) {
                        RawThreadStack t = kept.thread(i);
                        String stack = describe(t);
                        assertEquals(describe(oracle.thread(i)), stack, "thread " + i + " in pause " + pauses);
                        String last = lastStacks.put(t.threadId, stack);
                        if (last != null && !last.equals(stack) && takenStill.contains(t.threadId)) {
                            caught++; // left unread at first, it had run: found, stopped and read again
                        }
                        for (int f = 0; f < t.depth; f++) {
                            String name = t.codes[f].name();
                            if (name.matches("r[0-3]")) {
                                roverFunctions.computeIfAbsent(t.threadId, k -> new HashSet<>()).add(name);
                            }
                        }
                    }
                }
            } finally {
                reusing.memory().close();
                fresh.memory().close();
                // the JVM's reaper may have taken a ptrace stop of its traced child: kill it by pid
                new ProcessBuilder("kill", "-KILL", Integer.toString(pid)).start().waitFor();
            }
            double stillPerPause = stillThreads / (double) Math.max(1, pauses - torn);
            long roversSeenMoving = roverFunctions.values().stream().filter(s -> s.size() >= 2).count();
            System.out.printf("%s: %d pauses (%d torn, %d walks again), %.1f threads of %d still a pause, "
                    + "%d rovers seen in 2+ functions, %d moved rovers first taken as still%n", interpreter, pauses,
                    torn, rewalks, stillPerPause, SLEEPERS + ROVERS + 2, roversSeenMoving, caught);
            assertTrue(torn <= pauses / 20, torn + " of " + pauses + " pauses met a torn frame chain");
            assertTrue(stillPerPause > SLEEPERS / 2.0, "threads taken as still a pause: " + stillPerPause);
            assertTrue(roversSeenMoving >= ROVERS / 2, "rovers seen in several functions: " + roversSeenMoving);
            assertTrue(caught > 0, "no rover that had moved was ever first taken as still: the test proves nothing");
        }
    }

    /** Each Python thread's kernel tid (the target's threads are all started before it is ready). */
    private static Map<Long, Integer> kernelTids(PythonProcess process) throws Exception {
        RawStacks snapshot = new RawStacks();
        process.walker().walk(snapshot);
        Set<Long> all = new HashSet<>();
        for (int tid : ProcFs.threadIds(process.pid())) {
            all.add((long) tid);
        }
        long[] ids = ThreadStackReader.nativeIds(process, snapshot, all);
        Map<Long, Integer> tids = new HashMap<>();
        for (int i = 0; i < snapshot.threadCount(); i++) {
            if (ids[i] != 0) {
                tids.put(snapshot.thread(i).threadId, (int) ids[i]);
            }
        }
        assertTrue(tids.size() >= SLEEPERS + ROVERS, "kernel tids of the threads: " + tids.size());
        return tids;
    }

}
