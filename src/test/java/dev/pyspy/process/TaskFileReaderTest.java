package dev.pyspy.process;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The thread files of this JVM's own threads, read with a bounded set of descriptors: the first
 * threads' files stay open, the others are opened for each read, and when the process has no
 * descriptor left a kept one is given up rather than the read failed.
 */
class TaskFileReaderTest {

    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void theFirstThreadsKeepTheirFilesOpenAndTheOthersAreOpenedForEachRead() throws Exception {
        int[] tids = ProcFs.threadIds(PID);
        assertTrue(tids.length >= 3, "this JVM has threads: " + tids.length);
        try (TaskFileReader r = new TaskFileReader(PID, "stat", 2)) {
            for (int tid : tids) {
                assertStat(r, tid);
            }
            assertEquals(2 + 1, r.openDescriptors(), "two threads' files and the task directory");
            assertStat(r, tids[tids.length - 1]); // beyond the cap: opened again
            assertEquals(-1, r.read(Integer.MAX_VALUE), "no such thread");
        }
    }

    @Test
    void aProcessOutOfDescriptorsGivesUpAKeptOneInsteadOfFailingTheRead() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Thread late = new Thread(() -> {
            try {
                done.await();
            } catch (InterruptedException e) {
                // ends
            }
        }, "late");
        late.start();
        int lateTid = -1;
        int[] tids = threadsOnceNamed("late");
        List<FileChannel> hog = new ArrayList<>();
        try (TaskFileReader r = new TaskFileReader(PID, "stat", 64)) {
            int kept = 0;
            for (int tid : tids) {
                String comm = Files.readString(ProcFs.procPath(PID, "task", Integer.toString(tid), "comm")).strip();
                if ("late".equals(comm)) {
                    lateTid = tid;
                } else if (kept < 8) {
                    assertStat(r, tid);
                    kept++;
                }
            }
            assertTrue(lateTid > 0, "the late thread is listed");
            int open = r.openDescriptors();
            assertEquals(kept + 1, open);
            for (int attempt = 0; ; attempt++) {
                try {
                    while (true) {
                        hog.add(FileChannel.open(Path.of("/dev/null")));
                    }
                } catch (IOException outOfDescriptors) {
                    // every descriptor is taken now
                }
                assertStat(r, lateTid);
                if (r.openDescriptors() != open + 1 || attempt == 5) {
                    break;
                }
                // another thread of this JVM closed a descriptor between the two: the read took it; again
                r.forget(lateTid);
            }
            assertEquals(open - 1, r.openDescriptors(), "one kept descriptor given up for the read");
            assertTrue(r.maxOpen() < kept, "keeps fewer from now on: " + r.maxOpen());
        } finally {
            for (FileChannel c : hog) {
                c.close();
            }
            done.countDown();
            late.join();
        }
    }

    /**
     * This JVM's threads, listed once one is named {@code name}: a started thread names itself
     * (its comm) as it begins to run, after {@code start()} returned.
     */
    private static int[] threadsOnceNamed(String name) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            int[] tids = ProcFs.threadIds(PID);
            for (int tid : tids) {
                try {
                    if (name.equals(Files.readString(ProcFs.procPath(PID, "task", Integer.toString(tid), "comm")).strip())) {
                        return tids;
                    }
                } catch (IOException gone) {
                    // a thread that ended meanwhile
                }
            }
            if (System.nanoTime() > deadline) {
                return tids;
            }
            Thread.sleep(1);
        }
    }

    private static void assertStat(TaskFileReader r, int tid) {
        int n = r.read(tid);
        assertTrue(n > 0, "thread " + tid + "'s stat read: " + n);
        byte[] b = new byte[n];
        r.buffer().get(0, b);
        String stat = new String(b, StandardCharsets.US_ASCII);
        assertTrue(stat.startsWith(tid + " ("), stat);
    }
}
