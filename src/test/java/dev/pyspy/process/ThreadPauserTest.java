package dev.pyspy.process;

import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
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

    /** Three spinning threads plus a spinning main thread. */
    private static final String SPIN = """
            import threading
            def spin():
                x = 0
                while True:
                    x += 1
            for _ in range(3):
                threading.Thread(target=spin, daemon=True).start()
            ready('ok')
            spin()
            """;

    /** Counts the SIGUSR1s its handler ran (ready file 0); one spinning thread, a napping main one. */
    private static final String COUNT_SIGUSR1 = """
            import signal, threading, time
            count = 0
            def handler(sig, frame):
                global count
                count += 1
                ready(str(count))
            signal.signal(signal.SIGUSR1, handler)
            def spin():
                while True:
                    pass
            threading.Thread(target=spin, daemon=True).start()
            ready('0')
            while True:
                time.sleep(0.001)
            """;

    private Targets targets;

    @BeforeEach
    void setUp() throws Exception {
        targets = new Targets();
    }

    @AfterEach
    void tearDown() throws Exception {
        targets.close();
    }

    private ChildProcess startSpinner() throws Exception {
        ChildProcess c = targets.python(SPIN);
        targets.awaitReady(c);
        Targets.awaitThreads(c.pid(), 4);
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

    /** Threads started and ended all the time, next to a main thread that sleeps in short naps. */
    private static final String CHURN = """
            import threading, time
            def work():
                s = 0
                for i in range(3000):
                    s += i
            def churn():
                while True:
                    ts = [threading.Thread(target=work) for _ in range(3)]
                    for t in ts:
                        t.start()
                    for t in ts:
                        t.join()
            for _ in range(2):
                threading.Thread(target=churn, daemon=True).start()
            ready('ok')
            while True:
                time.sleep(0.0005)
            """;

    @Test
    @Disabled("issue 21 item 10: under thread churn a new thread can still run through a pause (CI, three runs of four); re-enable with the fix")
    void persistentInterruptResumeThousandTimesWhileThreadsComeAndGo() throws Exception {
        interruptAndResumeWhileThreadsComeAndGo(1000);
    }

    /**
     * The same under a CPU-heavy load (two busy processes per core): threads are slow to stop, to
     * start and to exit, which is when a thread created during the pause or a dead one still counted
     * could slip through.
     */
    @Test
    @Disabled("issue 21 item 10: under thread churn a new thread can still run through a pause (CI, three runs of four); re-enable with the fix")
    void theInvariantHoldsUnderACpuHeavyLoad() throws Exception {
        for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
            targets.python("ready('busy')\nwhile True: pass\n");
        }
        interruptAndResumeWhileThreadsComeAndGo(300);
    }

    private void interruptAndResumeWhileThreadsComeAndGo(int cycles) throws Exception {
        ChildProcess c = targets.python(CHURN);
        targets.awaitReady(c);
        int pid = c.pid();
        Set<Integer> seen = new HashSet<>();
        long start = System.nanoTime();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        // a thread that does not stop in time is reported running, not hidden: under load, wait for it
        pauser.setStopTimeout(java.util.concurrent.TimeUnit.SECONDS.toNanos(30));
        try {
            for (int i = 0; i < cycles; i++) {
                int[] stopped = pauser.interrupt();
                assertTrue(stopped.length >= 3, "main and churn threads at least: " + Arrays.toString(stopped));
                for (int tid : stopped) {
                    seen.add(tid);
                }
                assertEveryThreadStoppedOrExiting(pid, stopped, i);
                // a dead thread still counted would let a new one through the next pause unseen
                int listed = ProcFs.threadIds(pid).length;
                assertTrue(pauser.tracedThreadCount() <= listed,
                        pauser.tracedThreadCount() + " threads traced, " + listed + " listed, at cycle " + i);
                pauser.resume();
                // Sample at roughly 2 kHz so the target gets to create threads in between.
                LockSupport.parkNanos(300_000);
            }
            assertFalse(pauser.targetExited());
        } finally {
            pauser.detach();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seen.size() > 30, "threads were created and destroyed meanwhile: " + seen.size());
        System.out.printf("%d interrupt/resume cycles in %.2fs, %d distinct threads%n", cycles, seconds, seen.size());
        awaitRunning(pid);
        for (int tid : ProcFs.threadIds(pid)) {
            assertEquals(0, ProcFs.threadTracerPid(pid, tid), "thread " + tid + " still traced");
        }
        assertCpuGrows(pid);
    }

    /** {@code flags} bit of a thread in do_exit (include/linux/sched.h). */
    private static final long PF_EXITING = 0x4;

    /**
     * The pause invariant, read at once (no waiting): every thread of the process is in a ptrace
     * stop and among those reported stopped, or is dead, or is exiting — a thread past the point of
     * no return cannot stop, and is gone moments later. State and flags come from one read of its
     * stat line, so a thread cannot pass by changing between the two.
     */
    private static void assertEveryThreadStoppedOrExiting(int pid, int[] stopped, int cycle) throws Exception {
        for (int tid : ProcFs.threadIds(pid)) {
            String stat;
            try {
                stat = Files.readString(ProcFs.procPath(pid, "task", Integer.toString(tid), "stat"));
            } catch (java.io.IOException gone) {
                continue;
            }
            String[] f = ProcFs.statFieldsAfterComm(stat);
            char state = f[0].charAt(0);
            boolean exiting = (Long.parseLong(f[6]) & PF_EXITING) != 0;
            if (state == 'Z' || state == 'X' || exiting) {
                continue;
            }
            assertTrue(state == 't' && Arrays.binarySearch(stopped, tid) >= 0,
                    "thread " + tid + " in state " + state + " escaped the pause at cycle " + cycle + ": " + stat);
        }
    }

    @Test
    void killingTheTracerWithSigkillLeavesTheTargetRunning() throws Exception {
        int pid = startSpinner().pid();
        Path ready = targets.dir().resolve("helper-ready");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ChildProcess helper = targets.track(ChildProcess.start(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:auto", "-cp", classpath,
                PauseAndHangMain.class.getName(), Integer.toString(pid), ready.toString()),
                Map.of(), null, targets.dir().resolve("helper.log")));
        awaitCondition(() -> Files.exists(ready) || !helper.isAlive(), 60_000);
        assertTrue(Files.exists(ready), () -> "helper failed: " + readQuietly(targets.dir().resolve("helper.log")));
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
        ChildProcess c = targets.python("""
                import threading, time
                def spin():
                    while True:
                        pass
                for _ in range(2):
                    threading.Thread(target=spin, daemon=True).start()
                n = 0
                while True:
                    n += 1
                    ready(str(n))
                    time.sleep(0.002)
                """);
        targets.awaitReady(c);
        Targets.awaitThreads(c.pid(), 3);
        Path progress = targets.readyFile(0);
        int pid = c.pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            cycle(pauser, 20);
            c.kill(LibC.SIGSTOP);
            cycleFor(pauser, 300);
            String frozen = readQuietly(progress);
            cycleFor(pauser, 300);
            assertEquals(frozen, readQuietly(progress), "SIGSTOP is honoured while traced");
            assertEquals(3, pauser.interrupt().length, "a stopped target can still be sampled");
            pauser.resume();

            c.kill(LibC.SIGCONT);
            cycleFor(pauser, 300);
            // Idle now: pollEvents alone must keep it running.
            long deadline = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < deadline && !noneStopped(pid)) {
                pauser.pollEvents();
                Thread.sleep(5);
            }
            assertTrue(noneStopped(pid), () -> "states " + states(pid));
            String before = readQuietly(progress);
            for (int i = 0; i < 60; i++) {
                pauser.pollEvents();
                Thread.sleep(5);
            }
            assertFalse(before.equals(readQuietly(progress)), "running again after SIGCONT");

            c.kill(LibC.SIGSTOP);
            cycleFor(pauser, 200);
        } finally {
            pauser.detach();
        }
        // Detaching keeps the target in its own group-stop.
        awaitCondition(() -> allStates(pid, 'T'), 5000);
        assertTrue(allStates(pid, 'T'), () -> "states " + states(pid));
        c.kill(LibC.SIGCONT);
        awaitRunning(pid);
    }

    @Test
    void oneShotPauseOfAStoppedTargetLeavesItStopped() throws Exception {
        ChildProcess c = startSpinner();
        int pid = c.pid();
        c.kill(LibC.SIGSTOP);
        awaitCondition(() -> allStates(pid, 'T'), 5000);
        try (ThreadPauser pauser = ThreadPauser.pauseAll(pid)) {
            assertEquals(4, pauser.stoppedThreads().length);
        }
        awaitCondition(() -> allStates(pid, 'T'), 5000);
        assertTrue(allStates(pid, 'T'), () -> "states " + states(pid));
        c.kill(LibC.SIGCONT);
        awaitRunning(pid);
    }

    @Test
    void signalsSentWhileTracedReachTheTargetsHandlers() throws Exception {
        ChildProcess c = targets.python(COUNT_SIGUSR1);
        int pid = c.pid();
        Path countFile = targets.readyFile(0);
        targets.awaitReady(c);
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            for (int i = 1; i <= 10; i++) {
                c.kill(LibC.SIGUSR1);
                int expected = i;
                long deadline = System.currentTimeMillis() + 10_000;
                while (System.currentTimeMillis() < deadline && !readQuietly(countFile).strip().equals("" + expected)) {
                    pauser.interrupt();
                    pauser.resume();
                    Thread.sleep(2);
                }
                assertEquals("" + expected, readQuietly(countFile).strip());
            }
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void signalStormWhileSamplingNeverStallsTheTarget() throws Exception {
        ChildProcess c = targets.python("""
                import signal, threading, time
                hits = 0
                def handler(sig, frame):
                    global hits
                    hits += 1
                signal.signal(signal.SIGUSR1, handler)
                def nap():
                    while True:
                        time.sleep(0.0002)
                # Process-directed signals stop whichever thread takes them, not only the main one.
                for _ in range(2):
                    threading.Thread(target=nap, daemon=True).start()
                n = 0
                while True:
                    n += 1
                    if n % 20 == 0:
                        ready(f'{n} {hits}')
                    time.sleep(0.0005)
                """);
        targets.awaitReady(c);
        int pid = c.pid();
        Path progress = targets.readyFile(0);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sender = new Thread(() -> {
            while (!stop.get()) {
                c.kill(LibC.SIGUSR1);
                LockSupport.parkNanos(200_000);
            }
        });
        ThreadPauser pauser = ThreadPauser.attach(pid);
        String[] first = readQuietly(progress).strip().split(" ");
        sender.start();
        try {
            for (int i = 0; i < 1000; i++) {
                pauser.interrupt();
                pauser.resume();
                LockSupport.parkNanos(500_000);
                pauser.pollEvents();
            }
        } finally {
            stop.set(true);
            sender.join();
            pauser.detach();
        }
        String[] last = readQuietly(progress).strip().split(" ");
        assertTrue(Long.parseLong(last[0]) - Long.parseLong(first[0]) > 100,
                "main loop kept running: " + String.join(" ", first) + " -> " + String.join(" ", last));
        assertTrue(Long.parseLong(last[1]) - Long.parseLong(first[1]) > 50, "handlers ran: " + String.join(" ", last));
        awaitRunning(pid);
    }

    @Test
    void betweenPausesTheTargetRunsUntracedAndItsSignalsArriveAtOnce() throws Exception {
        ChildProcess c = targets.python(COUNT_SIGUSR1);
        int pid = c.pid();
        Path countFile = targets.readyFile(0);
        targets.awaitReady(c);
        Targets.awaitThreads(pid, 2);
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
                awaitCondition(() -> readQuietly(countFile).strip().equals(expected), 5000);
                assertEquals(expected, readQuietly(countFile).strip(), "the handler ran between pauses");
            }
        } finally {
            pauser.detach();
        }
        awaitRunning(pid);
    }

    @Test
    void targetExitWhileAttachedEndsCleanly() throws Exception {
        ChildProcess c = targets.python("""
                import threading, time
                for _ in range(3):
                    threading.Thread(target=time.sleep, args=(0.3,)).start()
                ready('ok')
                time.sleep(0.3)
                raise SystemExit(5)
                """);
        targets.awaitReady(c);
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
        ChildProcess c = targets.python("""
                import ctypes, threading, time
                def spin():
                    while True:
                        time.sleep(0.0001)
                for _ in range(2):
                    threading.Thread(target=spin, daemon=True).start()
                ready('ok')
                ctypes.CDLL(None).pthread_exit(None)
                """);
        targets.awaitReady(c);
        int pid = c.pid();
        awaitCondition(() -> stateOf(pid, pid) == 'Z', 10_000);
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
        ChildProcess c = targets.python("""
                import threading
                sleepers = []
                def sleep_forever():
                    sleepers.append(threading.get_native_id())
                    threading.Event().wait()
                for _ in range(4):
                    threading.Thread(target=sleep_forever, daemon=True).start()
                while len(sleepers) < 4:
                    pass
                ready(' '.join(map(str, sleepers)))
                x = 0
                while True:
                    x += 1
                """);
        int[] sleepers = Arrays.stream(targets.awaitReady(c).split(" ")).mapToInt(Integer::parseInt).toArray();
        int pid = c.pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            pauser.leaveBlockedThreadsRunning();
            // attach seized every thread: the first pause stops them all, and lets them go untraced
            assertEquals(5, pauser.interrupt().length);
            pauser.resume();
            Thread.sleep(100); // the sleepers are deep in their wait again
            Map<Integer, Long> switchesBefore = new HashMap<>();
            for (int tid : sleepers) {
                switchesBefore.put(tid, contextSwitches(pid, tid));
            }
            for (int i = 0; i < 200; i++) {
                int[] stopped = pauser.interrupt();
                assertArrayEquals(new int[] {pid}, stopped, "only the spinning main thread stops, at cycle " + i);
                assertEquals('t', stateOf(pid, pid));
                assertTrue(pauser.confirmParked(), "no sleeper ran, at cycle " + i);
                pauser.resume();
                LockSupport.parkNanos(1_000_000);
            }
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
        ChildProcess c = targets.python("""
                import threading, time
                napper = []
                def nap():
                    napper.append(threading.get_native_id())
                    while True:
                        time.sleep(0.0002)
                threading.Thread(target=nap, daemon=True).start()
                while not napper:
                    time.sleep(0.01)
                ready(str(napper[0]))
                threading.Event().wait()
                """);
        int napper = Integer.parseInt(targets.awaitReady(c));
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

    /** Waits until no thread is stopped (t or T) and none is traced. */
    private static void awaitRunning(int pid) throws Exception {
        awaitCondition(() -> noneStopped(pid) && untraced(pid), 5000);
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
        Thread.sleep(300);
        assertTrue(ProcFs.cpuTicks(pid) > before, "target uses CPU again");
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
