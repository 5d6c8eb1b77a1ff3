package dev.pyspy.process;

import dev.pyspy.testing.NeedsRoot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process's total of switch-ins (taskstats) against what the kernel shows per thread: never less
 * than the live threads' schedstat counts read before it, and grown by at least the switch-ins of a
 * thread that slept and woke many times, also once that thread has exited. (Not that it never goes
 * down: around a thread's exit the kernel counts it twice for a moment, so a JVM thread exiting
 * meanwhile can make a later read lower.)
 */
@NeedsRoot
class GroupSwitchCountTest {

    @Test
    void totalCoversEveryLiveThreadAndKeepsTheCountsOfThreadsThatExited() throws Exception {
        int pid = (int) ProcessHandle.current().pid();
        try (GroupSwitchCount group = GroupSwitchCount.open(pid)) {
            assertNotNull(group, "taskstats answered nothing for this process (root, initial network namespace)");
            long live = liveThreadsSwitchIns(pid);
            long before = group.read();
            assertTrue(before >= live, "total " + before + " is below the live threads' own counts " + live);

            CountDownLatch done = new CountDownLatch(1);
            Thread sleeper = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    try {
                        Thread.sleep(1); // each wake-up is a switch-in
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                done.countDown();
            });
            sleeper.start();
            assertTrue(done.await(60, TimeUnit.SECONDS));
            sleeper.join();
            long after = group.read();
            assertTrue(after - before >= 200, "the total grew by " + (after - before) + " over 200 sleeps");
        }
    }

    @Test
    void aProcessThatIsGoneHasNoTotal() throws Exception {
        Process p = new ProcessBuilder("true").start();
        int pid = (int) p.pid();
        p.waitFor();
        p.onExit().get();
        // reaped: no such process any more
        assertTrue(GroupSwitchCount.open(pid) == null);
    }

    private static long liveThreadsSwitchIns(int pid) throws IOException {
        long sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Integer.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String[] f = Files.readString(task.resolve("schedstat")).trim().split(" ");
                    sum += Long.parseLong(f[2]);
                } catch (IOException e) {
                    // exited meanwhile
                }
            }
        }
        return sum;
    }
}
