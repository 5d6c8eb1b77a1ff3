package dev.pyspy.process;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Threads left asleep through a pause, many of them: those that stayed asleep are checked together
 * (the process's total of switch-ins) rather than one read each, while another thread wakes between
 * every two pauses; one of them that is woken during the read is still found and stopped, and is
 * then looked at each pause until it has stayed asleep for a while. The pause invariant is checked
 * from what the kernel says at each pause, as in {@link ThreadPauserChurnTest}.
 */
@Timeout(300)
@NeedsRoot
class ParkedThreadsTest {

    private static final int SLEEPERS = 200;

    private TargetProcess target;
    private int napper;
    private int[] sleepers;
    /** Each sleeper's pipe: the target's descriptor of its write end. */
    private int[] pipes;

    @AfterEach
    void tearDown() throws Exception {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void sleepersLeftAsleepAreCheckedTogetherWhileAnotherThreadWakesOften() throws Exception {
        start();
        ThreadPauser pauser = ThreadPauser.attach(target.pid());
        try {
            pauser.leaveBlockedThreadsRunning();
            pauser.setStopTimeout(TimeUnit.SECONDS.toNanos(60));
            for (int i = 0; i < 20; i++) {
                pause(pauser, false);
            }
            long reads = pauser.offCpuReads();
            long oneByOne = pauser.oneByOneChecks();
            int pauses = 300;
            int napperLeftAsleep = 0;
            for (int i = 0; i < pauses; i++) {
                napperLeftAsleep += pause(pauser, true) ? 1 : 0;
                LockSupport.parkNanos(300_000);
            }
            double readsPerPause = (pauser.offCpuReads() - reads) / (double) pauses;
            long checks = pauser.oneByOneChecks() - oneByOne;
            System.out.printf("%d pauses of %d sleepers: %.1f thread files read a pause, %d checks one by one, "
                    + "the napper left asleep %d times%n", pauses, SLEEPERS, readsPerPause, checks, napperLeftAsleep);
            assertTrue(napperLeftAsleep > 0, "the napper is asleep when some pause looks");
            // one by one, every pause would read each sleeper
            assertTrue(readsPerPause < SLEEPERS / 10.0, "thread files read a pause: " + readsPerPause);
            assertTrue(checks < pauses / 10, "checks that read every sleeper: " + checks + " of " + pauses);
        } finally {
            pauser.detach();
        }
    }

    @Test
    void aSleeperLeftUnreadThatIsWokenDuringTheReadIsStopped() throws Exception {
        start();
        int pid = target.pid();
        ThreadPauser pauser = ThreadPauser.attach(pid);
        try {
            pauser.leaveBlockedThreadsRunning();
            pauser.setStopTimeout(TimeUnit.SECONDS.toNanos(60));
            for (int i = 0; i < 20; i++) {
                pause(pauser, false);
            }
            for (int k = 0; k < 20; k++) {
                int index = k * (SLEEPERS / 20);
                int sleeper = sleepers[index];
                pauser.interrupt();
                assertTrue(Arrays.stream(pauser.parkedThreads()).anyMatch(t -> t == sleeper),
                        "sleeper " + sleeper + " is left asleep, at round " + k);
                long before = ThreadPauserChurnTest.switchesIn(pid, sleeper);
                Files.write(ProcFs.procPath(pid, "fd", Integer.toString(pipes[index])), new byte[] {1},
                        StandardOpenOption.APPEND);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ThreadPauserChurnTest.switchesIn(pid, sleeper) == before && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(200_000);
                }
                assertFalse(pauser.confirmParked(), "a sleeper woken during the read is reported, at round " + k);
                // another thread that ran may be reported first: the pause holds once confirmed
                for (int tries = 0; !pauser.confirmParked(); tries++) {
                    assertTrue(tries < 1000, "the pause is confirmed once the threads that ran are stopped");
                }
                assertTrue(Arrays.stream(pauser.stoppedThreads()).anyMatch(t -> t == sleeper),
                        "the woken sleeper is stopped before the pause is confirmed, at round " + k);
                assertEquals('t', ProcFs.threadState(pid, sleeper));
                pauser.resume();
                for (int i = 0; i < 5; i++) {
                    pause(pauser, false);
                }
            }
            // the threads that woke are looked at each pause; once quiet long enough, no more
            double wakersRead = readsPerPause(pauser, 20);
            for (int i = 0; i < ParkedThreads.WAKER_QUIET_PAUSES; i++) {
                pause(pauser, false);
            }
            double quietRead = readsPerPause(pauser, 50);
            System.out.printf("thread files read a pause: %.1f with 20 wakers, %.1f once they were quiet%n",
                    wakersRead, quietRead);
            assertTrue(wakersRead >= 40, "the 20 sleepers that woke are read each pause: " + wakersRead);
            assertTrue(quietRead < 20, "quiet again, they are left to the total: " + quietRead);
        } finally {
            pauser.detach();
        }
    }

    private double readsPerPause(ThreadPauser pauser, int pauses) throws Exception {
        long before = pauser.offCpuReads();
        for (int i = 0; i < pauses; i++) {
            pause(pauser, false);
        }
        return (pauser.offCpuReads() - before) / (double) pauses;
    }

    private void start() throws Exception {
        Path scripts = TargetProcess.scripts("sleepers_and_waker.py");
        target = TargetProcess.startChild(Interpreters.hostPython3(), scripts.resolve("sleepers_and_waker.py"),
                Integer.toString(SLEEPERS));
        String[] ids = target.awaitReady().split(" ");
        napper = Integer.parseInt(ids[0]);
        sleepers = new int[ids.length - 2];
        pipes = new int[ids.length - 2];
        for (int i = 2; i < ids.length; i++) {
            String[] tidAndPipe = ids[i].split(":");
            sleepers[i - 2] = Integer.parseInt(tidAndPipe[0]);
            pipes[i - 2] = Integer.parseInt(tidAndPipe[1]);
        }
        assertEquals(SLEEPERS, sleepers.length);
    }

    /**
     * One pause as the sampler makes it: interrupt, then confirm until the threads left asleep
     * stayed so; with {@code check}, the invariant is read from the kernel before each confirmation.
     * True when the napper was left asleep.
     */
    private boolean pause(ThreadPauser pauser, boolean check) throws Exception {
        int pid = target.pid();
        int[] stopped = pauser.interrupt();
        boolean napperAsleep = false;
        for (int tries = 0; ; tries++) {
            int[] parked = pauser.parkedThreads();
            napperAsleep |= Arrays.binarySearch(parked, napper) >= 0;
            String escaped = null;
            if (check) {
                Map<Integer, Long> asleep = ThreadPauserChurnTest.switchesIn(pid, parked);
                escaped = ThreadPauserChurnTest.escapedThread(pid, stopped, parked, asleep);
            }
            boolean confirmed = pauser.confirmParked();
            if (confirmed && escaped != null) {
                fail("confirmed: " + escaped);
            }
            if (confirmed) {
                break;
            }
            assertTrue(tries < 1000, "each check that fails stops one more thread");
            stopped = pauser.stoppedThreads();
        }
        pauser.resume();
        return napperAsleep;
    }
}
