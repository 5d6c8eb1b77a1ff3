package dev.pyspy.python;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.pyspy.testing.RawStacks.describe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The walker reuses a thread's previous decode when the frame fields it decoded in the data stack
 * and the bytes of its outside frames are unchanged; this proves that it never reports a stale stack. The target's threads keep
 * calling different functions from different lines at the same depth (so the innermost frame
 * address stays the same while the stack changes), through a generator (a frame outside the data
 * stack whose line changes) and through a C call (an entry frame). With the target paused, every
 * walk of the reusing walker must equal a fresh decode by an independent walker of the same
 * paused memory; and reuse must really have happened, or the test proves nothing.
 */
@Timeout(600)
@NeedsRoot
class StackWalkerReuseTest {
    private static final int WALKS = 400;

    private static final String TARGET = String.join("\n",
            "import sys, threading, time",
            "def spin():",
            "    end = time.time() + 0.0005",
            "    while time.time() < end:",
            "        pass",
            "def a():",
            "    spin()",
            "def b():",
            "    time.sleep(0.002)",
            "def gen():",
            "    while True:",
            "        a()",
            "        yield 1",
            "        b()",
            "        yield 2",
            "def same_depth():",
            "    g = gen()",
            "    while True:",
            "        a()",
            "        b()",
            "        a()",
            "        next(g)",
            "        list(map(lambda x: b(), [0]))",
            "def sleeper():",
            "    while True:",
            "        time.sleep(0.003)",
            "        a()",
            "for f in (same_depth, same_depth, sleeper):",
            "    t = threading.Thread(target=f)",
            "    t.daemon = True",
            "    t.start()",
            "open(sys.argv[1], 'w').write('{}')",
            "while True:",
            "    time.sleep(3600)",
            "");

    static List<Interpreter> interpreters() {
        return Interpreters.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void reusedStacksEqualFreshDecodes(Interpreter interpreter) throws Exception {
        Path dir = Files.createTempDirectory("pyspy-reuse");
        Path script = dir.resolve("reuse_target.py");
        Files.writeString(script, TARGET);
        try (TargetProcess target = TargetProcess.start(interpreter, script)) {
            target.truth(60);
            int pid = target.pid();
            PythonProcess reusing = PythonProcess.attach(pid);
            PythonProcess fresh = PythonProcess.attach(pid);
            RawStacks kept = new RawStacks();
            long reused = 0;
            long changedWhileFramePointerSame = 0;
            int torn = 0;
            Set<String> innermost = new HashSet<>();
            List<Long> lastVersions = new ArrayList<>();
            List<Long> lastFirstFrames = new ArrayList<>();
            List<String> lastStacks = new ArrayList<>();
            try (ThreadPauser pauser = ThreadPauser.attach(pid)) {
                for (int w = 0; w < WALKS; w++) {
                    RawStacks oracle = new RawStacks();
                    MemoryReadException reusingFailed = null;
                    MemoryReadException freshFailed = null;
                    pauser.interrupt();
                    try {
                        try {
                            reusing.walker().walk(kept);
                        } catch (MemoryReadException e) {
                            reusingFailed = e;
                        }
                        try {
                            fresh.walker().walk(oracle);
                        } catch (MemoryReadException e) {
                            freshFailed = e;
                        }
                    } finally {
                        pauser.resume();
                    }
                    if (freshFailed != null) {
                        // A thread stopped mid-call (e.g. 3.12's new _PyCFrame is current before its
                        // current_frame is set) holds a torn chain: no oracle for this walk. What the
                        // reusing walker remembered from it is not compared against older stacks.
                        torn++;
                        lastVersions.clear();
                        lastFirstFrames.clear();
                        lastStacks.clear();
                        continue;
                    }
                    if (reusingFailed != null) {
                        throw new AssertionError("the reusing walker failed where a fresh decode did not, walk " + w,
                                reusingFailed);
                    }
                    assertEquals(oracle.threadCount(), kept.threadCount(), "threads in walk " + w);
                    for (int i = 0; i < kept.threadCount(); i++) {
                        RawThreadStack t = kept.thread(i);
                        String stack = describe(t);
                        assertEquals(describe(oracle.thread(i)), stack, "thread " + i + " in walk " + w);
                        if (t.depth > 0) {
                            innermost.add(t.codes[0].name());
                        }
                        if (i < lastVersions.size()) {
                            if (t.stackVersion != 0 && t.stackVersion == lastVersions.get(i)) {
                                reused++;
                                assertEquals(lastStacks.get(i), stack, "a reused stack must equal the one it reuses");
                            } else if (t.depth > 0 && t.frameAddresses[0] == lastFirstFrames.get(i)
                                    && !stack.equals(lastStacks.get(i))) {
                                changedWhileFramePointerSame++;
                            }
                            lastVersions.set(i, t.stackVersion);
                            lastFirstFrames.set(i, t.depth > 0 ? t.frameAddresses[0] : 0);
                            lastStacks.set(i, stack);
                        } else {
                            lastVersions.add(t.stackVersion);
                            lastFirstFrames.add(t.depth > 0 ? t.frameAddresses[0] : 0);
                            lastStacks.add(stack);
                        }
                    }
                    Thread.sleep(0, 200_000);
                }
            } finally {
                reusing.memory().close();
                fresh.memory().close();
                // The JVM's reaper may have taken a ptrace stop of its traced child for its exit, so
                // Process.destroyForcibly would not signal it: kill it by pid.
                new ProcessBuilder("kill", "-KILL", Integer.toString(pid)).start().waitFor();
            }
            assertTrue(torn <= WALKS / 20, torn + " of " + WALKS + " walks met a torn frame chain");
            assertTrue(reused > 0, "no stack was ever reused: the test proves nothing");
            assertTrue(changedWhileFramePointerSame > 0,
                    "the stack never changed under an unchanged innermost frame: the test proves nothing");
            assertTrue(innermost.contains("spin") || innermost.contains("sleeper"), "innermost frames seen: " + innermost);
            System.out.println(interpreter + ": " + reused + " of " + WALKS * 4 + " thread stacks reused, "
                    + changedWhileFramePointerSame + " changed under the same innermost frame");
        }
    }

}
