package dev.pyspy.process;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(180)
@NeedsRoot
class ThreadPauserTest {

    private static final String[] SCRIPTS = {"four_spinners.py", "count_sigusr1.py",
        "spin_target.py", "progress_counter.py", "signal_storm.py", "exit_soon.py", "main_thread_exits.py",
        "kernel_sleepers.py", "napper.py"};

    private final List<TargetProcess> targets = new ArrayList<>();
    private Path scripts;

    @BeforeEach
    void setUp() throws Exception {
        scripts = TargetProcess.scripts(SCRIPTS);
    }

    @AfterEach
    void tearDown() throws Exception {
        TargetProcess.closeAll(targets);
    }

    /** Starts a target as pyspy starts programs: its exit status comes through a tracer that reaped it. */
    private TargetProcess start(String script, String... args) throws Exception {
        TargetProcess t = TargetProcess.startChild(Interpreters.hostPython3(), scripts.resolve(script), args);
        targets.add(t);
        return t;
    }

    private TargetProcess startSpinner() throws Exception {
        TargetProcess c = start("four_spinners.py");
        c.awaitReady();
        c.awaitThreads(4);
        return c;
    }

    @Test
    void pauseAllStopsEveryThreadAndResumeAllLetsThemRunAgain() throws Exception {
        int pid = startSpinner().pid();
        ThreadPauser pauser = ThreadPauser.pauseAll(pid);
        try {
            assertArrayEquals(ProcFs.threadIds(pid), pauser.stoppedThreads());
            assertEquals(4, pauser.stoppedThreads().length);
            for (Map.Entry<Integer, Character> e : ProcFs.threadStates(pid).entrySet()) {
                assertEquals('t', e.getValue(), "thread " + e.getKey());
            }
            assertEquals(LibC.gettid(), ProcFs.tracerPid(pid), "the tracer is this thread");
            assertEquals(LibC.getpid(), ProcFs.threadGroupId(ProcFs.tracerPid(pid)));
            long frozen = ProcFs.cpuTicks(pid);
            Thread.sleep(200);
            assertEquals(frozen, ProcFs.cpuTicks(pid), "no CPU time while paused");
        } finally {
            pauser.resumeAll();
        }
        assertFalse(pauser.isAttached());
        awaitRunning(pid);
        assertCpuGrows(pid);
    }

    @Test
    void closeResumesLikeResumeAll() throws Exception {
        int pid = startSpinner().pid();
        try (ThreadPauser pauser = ThreadPauser.pauseAll(pid)) {
            assertEquals('t', ProcFs.threadState(pid, pid));
        }
        awaitRunning(pid);
    }

    @Test
    void killingTheTracerWithSigkillLeavesTheTargetRunning() throws Exception {
        int pid = startSpinner().pid();
        Path ready = scripts.resolve("helper-ready");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ChildProcess helper = ChildProcess.start(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:auto", "-cp", classpath,
                PauseAndHangMain.class.getName(), Integer.toString(pid), ready.toString()),
                Map.of(), null, scripts.resolve("helper.log"));
        try {
            killTheTracer(pid, helper, ready);
        } finally {
            helper.kill(LibC.SIGKILL);
            helper.waitForExit();
            helper.close();
        }
    }

    private void killTheTracer(int pid, ChildProcess helper, Path ready) throws Exception {
        awaitCondition(() -> Files.exists(ready) || !helper.isAlive(), 60_000);
        assertTrue(Files.exists(ready), () -> "helper failed: " + readQuietly(scripts.resolve("helper.log")));
        for (char s : ProcFs.threadStates(pid).values()) {
            assertEquals('t', s);
        }
        assertEquals(helper.pid(), ProcFs.threadGroupId(ProcFs.tracerPid(pid)));

        // A second tracer is refused with an explanation.
        PyspyException busy = assertThrows(PyspyException.class, () -> ThreadPauser.attach(pid));
        assertEquals(ExitCode.PERMISSION_DENIED, busy.exitCode());
        assertTrue(busy.getMessage().contains("already being traced by process " + helper.pid()), busy.getMessage());

        assertTrue(helper.kill(LibC.SIGKILL));
        assertEquals(128 + LibC.SIGKILL, helper.waitForExit());
        awaitRunning(pid);
        assertEquals(0, ProcFs.tracerPid(pid));
        assertCpuGrows(pid);
    }

    @Test
    void callsFromAnotherThreadAreRejected() throws Exception {
        int pid = startSpinner().pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    pauser.interrupt();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            other.start();
            other.join();
            assertInstanceOf(IllegalStateException.class, failure.get());
            assertTrue(failure.get().getMessage().contains("same thread") || failure.get().getMessage().contains("thread"));
            // The owner can still use it.
            assertEquals(4, pauser.interrupt().length);
            pauser.resume();
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void targetStoppedBySigstopStaysStoppedAndPyspyNeverLeavesItStopped() throws Exception {
        // CPU time is no measure here: each interrupt costs a group-stopped thread a little kernel
        // time to re-trap. A counter that the target's Python code advances shows whether it runs.
        TargetProcess c = start("progress_counter.py");
        c.awaitReady();
        c.awaitThreads(3);
        int pid = c.pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            cycle(pauser, 20);
            c.kill(LibC.SIGSTOP);
            // sampled meanwhile, every thread reaches the group-stop, where it stays between pauses
            awaitCondition(() -> {
                pauser.interrupt();
                pauser.resume();
                pauser.pollEvents();
                return allStates(pid, 'T');
            }, 30_000);
            assertTrue(allStates(pid, 'T'), () -> "stopped by SIGSTOP while traced: " + states(pid));
            String frozen = c.readyText();
            cycleFor(pauser, 300);
            assertEquals(frozen, c.readyText(), "SIGSTOP is honoured while traced");
            assertEquals(3, pauser.interrupt().length, "a stopped target can still be sampled");
            pauser.resume();

            c.kill(LibC.SIGCONT);
            cycleFor(pauser, 300);
            // Idle now: pollEvents alone must keep it running.
            awaitCondition(() -> {
                pauser.pollEvents();
                return noneStopped(pid);
            }, 30_000);
            assertTrue(noneStopped(pid), () -> "states " + states(pid));
            String before = c.readyText();
            awaitCondition(() -> {
                pauser.pollEvents();
                return !before.equals(c.readyText());
            }, 30_000);
            assertFalse(before.equals(c.readyText()), "running again after SIGCONT");

            c.kill(LibC.SIGSTOP);
            cycleFor(pauser, 200);
        } finally {
            pauser.detach();
        }
        // Detaching keeps the target in its own group-stop.
        awaitCondition(() -> allStates(pid, 'T'), 30_000);
        assertTrue(allStates(pid, 'T'), () -> "states " + states(pid));
        c.kill(LibC.SIGCONT);
        awaitRunning(pid);
    }

    @Test
    void oneShotPauseOfAStoppedTargetLeavesItStopped() throws Exception {
        TargetProcess c = startSpinner();
        int pid = c.pid();
        c.kill(LibC.SIGSTOP);
        awaitCondition(() -> allStates(pid, 'T'), 30_000);
        try (ThreadPauser pauser = ThreadPauser.pauseAll(pid)) {
            assertEquals(4, pauser.stoppedThreads().length);
        }
        awaitCondition(() -> allStates(pid, 'T'), 30_000);
        assertTrue(allStates(pid, 'T'), () -> "states " + states(pid));
        c.kill(LibC.SIGCONT);
        awaitRunning(pid);
    }

    @Test
    void signalsSentWhileTracedReachTheTargetsHandlers() throws Exception {
        TargetProcess c = start("count_sigusr1.py");
        int pid = c.pid();
        c.awaitReady();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            for (int i = 1; i <= 10; i++) {
                c.kill(LibC.SIGUSR1);
                int expected = i;
                long deadline = System.currentTimeMillis() + 30_000;
                while (System.currentTimeMillis() < deadline && !c.readyText().equals("" + expected)) {
                    pauser.interrupt();
                    pauser.resume();
                    Thread.sleep(2);
                }
                assertEquals("" + expected, c.readyText());
            }
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void signalStormWhileSamplingNeverStallsTheTarget() throws Exception {
        TargetProcess c = start("signal_storm.py");
        c.awaitReady();
        int pid = c.pid();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sender = new Thread(() -> {
            while (!stop.get()) {
                c.kill(LibC.SIGUSR1);
                LockSupport.parkNanos(200_000);
            }
        });
        ThreadPauser pauser = ThreadPauser.attach(pid);
        String[] first = c.readyText().split(" ");
        String[] last = first;
        sender.start();
        try {
            // at least 1000 pauses, and on until the target has made its progress (slowly on a busy machine)
            long deadline = System.nanoTime() + 60_000_000_000L;
            for (int i = 0; i < 1000 || !progressed(first, last) && System.nanoTime() < deadline; i++) {
                pauser.interrupt();
                pauser.resume();
                LockSupport.parkNanos(500_000);
                pauser.pollEvents();
                last = c.readyText().split(" ");
            }
        } finally {
            stop.set(true);
            sender.join();
            pauser.detach();
        }
        String[] seen = last;
        assertTrue(Long.parseLong(last[0]) - Long.parseLong(first[0]) > 100,
                "main loop kept running: " + String.join(" ", first) + " -> " + String.join(" ", last));
        assertTrue(Long.parseLong(last[1]) - Long.parseLong(first[1]) > 50, "handlers ran: " + String.join(" ", seen));
        awaitRunning(pid);
    }

    /** Over 100 more loops of the storm target's main thread and over 50 more handler runs. */
    private static boolean progressed(String[] first, String[] last) {
        return Long.parseLong(last[0]) - Long.parseLong(first[0]) > 100
                && Long.parseLong(last[1]) - Long.parseLong(first[1]) > 50;
    }

    @Test
    void betweenPausesTheTargetRunsUntracedAndItsSignalsArriveAtOnce() throws Exception {
        TargetProcess c = start("count_sigusr1.py");
        int pid = c.pid();
        c.awaitReady();
        c.awaitThreads(2);
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            assertTrue(pauser.holdsRunningThreads(), "attach seizes every thread");
            for (int i = 1; i <= 5; i++) {
                assertEquals(2, pauser.interrupt().length);
                pauser.resume();
                assertFalse(pauser.holdsRunningThreads(), "every thread let go, at cycle " + i);
                assertTrue(untraced(pid), "no thread traced between pauses, at cycle " + i);
                // no pollEvents: a thread still seized would sit in a signal-delivery-stop until then
                c.kill(LibC.SIGUSR1);
                String expected = "" + i;
                awaitCondition(() -> c.readyText().equals(expected), 30_000);
                assertEquals(expected, c.readyText(), "the handler ran between pauses");
            }
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void targetExitWhileAttachedEndsCleanly() throws Exception {
        TargetProcess c = start("exit_soon.py", "0.3", "5");
        c.awaitReady();
        ThreadPauser pauser = ThreadPauser.attach(c.pid());
        try {
            long deadline = System.currentTimeMillis() + 20_000;
            while (!pauser.targetExited() && System.currentTimeMillis() < deadline) {
                pauser.interrupt();
                pauser.resume();
                Thread.sleep(1);
            }
            assertTrue(pauser.targetExited());
            assertEquals(0, pauser.interrupt().length);
            pauser.resume();
            pauser.pollEvents();
        } finally {
            pauser.detach();
        }
        assertEquals(5, c.waitForExit(), "exit status reaped by the tracer reaches ChildProcess");
    }

    @Test
    void mainThreadThatExitedEarlyDoesNotHangThePause() throws Exception {
        TargetProcess c = start("main_thread_exits.py");
        c.awaitReady();
        int pid = c.pid();
        awaitCondition(() -> stateOf(pid, pid) == 'Z', 30_000);
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            for (int i = 0; i < 50; i++) {
                int[] stopped = pauser.interrupt();
                assertEquals(2, stopped.length, Arrays.toString(stopped));
                assertFalse(Arrays.stream(stopped).anyMatch(t -> t == pid));
                pauser.resume();
            }
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void missingProcessIsReported() {
        PyspyException e = assertThrows(PyspyException.class, () -> ThreadPauser.pauseAll(999_999_999));
        assertEquals(ExitCode.NO_SUCH_PROCESS, e.exitCode());
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void threadsBlockedInTheKernelAreLeftAsleepWhileTheRunningOnesStop() throws Exception {
        TargetProcess c = start("kernel_sleepers.py");
        int[] sleepers = Arrays.stream(c.awaitReady().split(" ")).mapToInt(Integer::parseInt).toArray();
        int pid = c.pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            pauser.leaveBlockedThreadsRunning();
            // attach seized every thread: the first pause stops them all, and lets them go untraced
            assertEquals(5, pauser.interrupt().length);
            pauser.resume();
            awaitAsleep(pid, sleepers);
            Map<Integer, Long> switchesBefore = new HashMap<>();
            for (int tid : sleepers) {
                switchesBefore.put(tid, contextSwitches(pid, tid));
            }
            int spinnerStoppedAtOnce = 0;
            for (int i = 0; i < 200; i++) {
                int[] stopped = pauser.interrupt();
                // on a busy machine the spinner may be preempted, off the CPU, when looked at: then it is left
                // running like a sleeper, and the confirmation stops it if it ran meanwhile
                if (stopped.length > 0) {
                    assertArrayEquals(new int[] {pid}, stopped, "only the spinning main thread stops, at cycle " + i);
                    assertEquals('t', stateOf(pid, pid));
                    spinnerStoppedAtOnce++;
                }
                boolean confirmed = pauser.confirmParked();
                int[] after = pauser.stoppedThreads();
                assertTrue(confirmed ? Arrays.equals(stopped, after) : Arrays.equals(new int[] {pid}, after),
                        "no sleeper ran (stopped " + Arrays.toString(after) + "), at cycle " + i);
                pauser.resume();
                LockSupport.parkNanos(1_000_000);
            }
            assertTrue(spinnerStoppedAtOnce > 0, "the spinner was never stopped at once: the test proves nothing");
            for (int tid : sleepers) {
                // stopped and let go, each would have been woken twice a cycle
                assertEquals(switchesBefore.get(tid), contextSwitches(pid, tid), "sleeper " + tid + " was woken");
            }
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void aThreadLeftRunningThatRunsDuringTheReadIsStoppedAndReported() throws Exception {
        TargetProcess c = start("napper.py");
        int napper = Integer.parseInt(c.awaitReady());
        int pid = c.pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        int reported = 0;
        try {
            pauser.leaveBlockedThreadsRunning();
            for (int i = 0; i < 200; i++) {
                int[] stopped = pauser.interrupt();
                boolean napperLeftRunning = Arrays.stream(stopped).noneMatch(t -> t == napper);
                if (napperLeftRunning) {
                    // a slow read: the napper left running wakes meanwhile (seen in its switch-in count)
                    long switchIns = switchIns(pid, napper);
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (switchIns(pid, napper) == switchIns && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(200_000);
                    }
                }
                if (!pauser.confirmParked()) {
                    reported++;
                    assertTrue(Arrays.stream(pauser.stoppedThreads()).anyMatch(t -> t == napper),
                            "the napper is stopped once reported, at cycle " + i);
                    assertEquals('t', stateOf(pid, napper));
                    assertTrue(pauser.confirmParked(), "nothing is left running to confirm, at cycle " + i);
                } else {
                    assertFalse(napperLeftRunning, "a napper left running that ran is reported, at cycle " + i);
                }
                pauser.resume();
            }
        } finally {
            pauser.detach();
        }
        assertTrue(reported >= 20, "the napper is often asleep when looked at, then runs: " + reported);
        awaitRunning(pid);
    }

    /** How many times the thread was switched in (schedstat's third field), what the pauser itself compares. */
    private static long switchIns(int pid, int tid) throws Exception {
        String[] fields = Files.readString(ProcFs.procPath(pid, "task", Integer.toString(tid), "schedstat")).strip().split(" ");
        return Long.parseLong(fields[2]);
    }

    /** Voluntary and involuntary context switches of one thread. */
    private static long contextSwitches(int pid, int tid) throws Exception {
        long n = 0;
        for (String line : Files.readAllLines(ProcFs.procPath(pid, "task", Integer.toString(tid), "status"))) {
            if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                n += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return n;
    }

    private static void cycle(ThreadPauser pauser, int times) {
        for (int i = 0; i < times; i++) {
            pauser.interrupt();
            pauser.resume();
        }
    }

    private static void cycleFor(ThreadPauser pauser, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            pauser.interrupt();
            pauser.resume();
            pauser.pollEvents();
            Thread.sleep(2);
        }
    }

    private static char stateOf(int pid, int tid) {
        try {
            return ProcFs.threadState(pid, tid);
        } catch (PyspyException e) {
            return '?';
        }
    }

    private static Map<Integer, Character> states(int pid) {
        try {
            return ProcFs.threadStates(pid);
        } catch (PyspyException e) {
            return Map.of();
        }
    }

    private static boolean noneStopped(int pid) {
        Map<Integer, Character> s = states(pid);
        return !s.isEmpty() && s.values().stream().noneMatch(c -> c == 't' || c == 'T');
    }

    private static boolean allStates(int pid, char state) {
        Map<Integer, Character> s = states(pid);
        return !s.isEmpty() && s.values().stream().allMatch(c -> c == state || c == 'Z');
    }

    /**
     * Waits until each thread is asleep in the kernel: in state S and off the CPU (its syscall file
     * names the call it waits in; the kernel says "running" while it is still on a CPU).
     */
    private static void awaitAsleep(int pid, int[] tids) throws Exception {
        BooleanSupplier asleep = () -> Arrays.stream(tids).allMatch(tid -> {
            try {
                String call = Files.readString(ProcFs.procPath(pid, "task", Integer.toString(tid), "syscall"));
                return stateOf(pid, tid) == 'S' && !call.startsWith("running");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        awaitCondition(asleep, 30_000);
        assertTrue(asleep.getAsBoolean(), () -> "sleepers not back in their wait: " + states(pid));
    }

    /** Waits until no thread is stopped (t or T) and none is traced. */
    private static void awaitRunning(int pid) throws Exception {
        awaitCondition(() -> noneStopped(pid) && untraced(pid), 30_000);
        assertTrue(noneStopped(pid), () -> "threads left stopped: " + states(pid));
        assertTrue(untraced(pid), "threads left traced");
    }

    private static boolean untraced(int pid) {
        try {
            for (int tid : ProcFs.threadIds(pid)) {
                if (ProcFs.threadTracerPid(pid, tid) != 0) {
                    return false;
                }
            }
            return true;
        } catch (PyspyException e) {
            return false;
        }
    }

    private static void assertCpuGrows(int pid) throws Exception {
        long before = ProcFs.cpuTicks(pid);
        awaitCondition(() -> cpuTicks(pid) > before, 30_000);
        assertTrue(ProcFs.cpuTicks(pid) > before, "target uses CPU again");
    }

    private static long cpuTicks(int pid) {
        try {
            return ProcFs.cpuTicks(pid);
        } catch (PyspyException e) {
            return -1;
        }
    }

    private static void awaitCondition(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
