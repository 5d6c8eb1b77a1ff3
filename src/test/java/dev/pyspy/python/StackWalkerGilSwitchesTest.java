package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
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
 * A walk leaves unread every thread but the GIL's last holder when the GIL has not changed hands
 * since the last walk ({@link GilSwitches}), in nonblocking mode too. This proves that such a walk
 * never keeps a stale stack: rovers move between same-shaped functions every few milliseconds,
 * short-lived threads come and go, a spinner holds the GIL. The walker walks without pausing between
 * checks (as a nonblocking recording does); at each check the whole process is stopped and its walk
 * must equal a decode of the same stopped memory by a walker that reads every thread. Walks must
 * have left threads unread, rovers been seen in several functions and the thread list have changed,
 * or the test proves nothing.
 */
@Timeout(600)
@NeedsRoot
class StackWalkerGilSwitchesTest {
    private static final int SLEEPERS = 200;
    private static final int ROVERS = 4;
    private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The runtime's GIL (3.7-3.11), the interpreter's with cframes (3.12), the newest. */
    static Stream<Interpreter> interpreters() {
        return Interpreters.versionsAndNewest("3.7", "3.12");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void walksLeavingThreadsUnreadEqualFreshDecodes(Interpreter interpreter) throws Exception {
        Path scripts = TargetProcess.scripts("rovers_target.py");
        // rovers napping 5-100 ms, and threads coming and going
        try (TargetProcess target = TargetProcess.start(interpreter, scripts.resolve("rovers_target.py"),
                Integer.toString(SLEEPERS), Integer.toString(ROVERS), "0.005", "0.1", "1")) {
            target.awaitReady();
            int pid = target.pid();
            PythonProcess judging = PythonProcess.attach(pid);
            PythonProcess fresh = PythonProcess.attach(pid);
            fresh.walker().judgeByGil(false);
            RawStacks kept = new RawStacks();
            long checks = 0;
            long leftUnread = 0;
            int torn = 0;
            Set<Integer> threadCounts = new HashSet<>();
            Map<Long, Set<String>> roverFunctions = new HashMap<>();
            try (ThreadPauser pauser = ThreadPauser.attach(pid)) {
                long end = System.nanoTime() + RUN_NANOS;
                while (System.nanoTime() < end) {
                    try {
                        judging.walker().walk(kept); // unpaused, as in a nonblocking recording
                        leftUnread += judging.walker().stillThreads();
                    } catch (MemoryReadException e) {
                        // a chain changing under an unpaused read: the next walk starts afresh
                    }
                    RawStacks oracle = new RawStacks();
                    MemoryReadException judgingFailed = null;
                    boolean freshFailed = false;
                    long pauseStart = System.nanoTime();
                    pauser.interrupt();
                    try {
                        try {
                            judging.walker().walk(kept);
                        } catch (MemoryReadException e) {
                            judgingFailed = e;
                        }
                        try {
                            fresh.walker().walk(oracle);
                        } catch (MemoryReadException e) {
                            freshFailed = true; // a thread stopped mid-call: a torn chain, no oracle
                        }
                    } finally {
                        pauser.resume();
                    }
                    checks++;
                    LockSupport.parkNanos(Math.max(500_000, System.nanoTime() - pauseStart));
                    if (freshFailed) {
                        torn++;
                        continue;
                    }
                    if (judgingFailed != null) {
                        throw new AssertionError("the judging walk failed where a fresh one did not, check "
                                + checks, judgingFailed);
                    }
                    leftUnread += judging.walker().stillThreads();
                    threadCounts.add(oracle.threadCount());
                    assertEquals(oracle.threadCount(), kept.threadCount(), "threads at check " + checks);
                    for (int i = 0; i < kept.threadCount(); i++) {
                        RawThreadStack t = kept.thread(i);
                        assertEquals(describe(oracle.thread(i)), describe(t), "thread " + i + " at check " + checks);
                        for (int f = 0; f < t.depth; f++) {
                            String name = t.codes[f].name();
                            if (name.matches("r[0-3]")) {
                                roverFunctions.computeIfAbsent(t.threadId, k -> new HashSet<>()).add(name);
                            }
                        }
                    }
                }
            } finally {
                judging.memory().close();
                fresh.memory().close();
                new ProcessBuilder("kill", "-KILL", Integer.toString(pid)).start().waitFor();
            }
            long roversSeenMoving = roverFunctions.values().stream().filter(s -> s.size() >= 2).count();
            System.out.printf("%s: %d checks (%d torn), %.1f threads left unread a walk, %d thread counts, "
                    + "%d rovers seen in 2+ functions%n", interpreter, checks, torn,
                    leftUnread / (2.0 * Math.max(1, checks)), threadCounts.size(), roversSeenMoving);
            assertTrue(torn <= checks / 20, torn + " of " + checks + " checks met a torn frame chain");
            assertTrue(leftUnread > 10L * SLEEPERS, "threads left unread in all: " + leftUnread);
            assertTrue(roversSeenMoving == ROVERS, "rovers seen in several functions: " + roversSeenMoving);
            assertTrue(threadCounts.size() >= 2, "the thread list never changed: " + threadCounts);
        }
    }
}
