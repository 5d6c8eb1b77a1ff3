package dev.pyspy.process;

import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.NeedsRoot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process events connector against real forks: a shell forks short children (half of them exec
 * a program) and writes their pids; each must be reported as a fork of the shell, the exec'ing ones
 * as execs, and every one's exit. A Python process's threads are not processes: never reported. A
 * queue too small for a burst of forks says that events were lost, and goes on.
 */
@NeedsRoot
class ProcEventsTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** What the events said, by pid. */
    private static final class Seen implements ProcEvents.Listener {
        final Map<Integer, Integer> parents = new HashMap<>();
        final Map<Integer, Long> forkedAt = new HashMap<>();
        final Set<Integer> execs = new HashSet<>();
        final Set<Integer> exits = new HashSet<>();
        boolean lost;

        @Override
        public void forked(int parent, int child, long atNanos) {
            parents.put(child, parent);
            forkedAt.put(child, atNanos);
        }

        @Override
        public void execed(int pid) {
            execs.add(pid);
        }

        @Override
        public void exited(int pid) {
            exits.add(pid);
        }
    }

    @Test
    void forksExecsAndExitsOfAShellsChildrenAreReported() throws Exception {
        try (ProcEvents events = ProcEvents.open()) {
            assertNotNull(events, "no process events (root, initial namespaces, CONFIG_PROC_EVENTS)");
            long before = System.nanoTime();
            // subshells fork without exec; /bin/true forks and execs
            Process shell = new ProcessBuilder("sh", "-c",
                    "for i in 1 2 3 4 5 6 7 8 9 10; do ( : ) & echo \"fork $!\"; /bin/true & echo \"exec $!\"; done; wait")
                    .redirectErrorStream(true).start();
            int shellPid = (int) shell.pid();
            List<String> lines = new String(shell.getInputStream().readAllBytes()).lines().toList();
            assertTrue(shell.waitFor(60, TimeUnit.SECONDS));
            assertEquals(20, lines.size(), String.join("\n", lines));
            Set<Integer> forked = new HashSet<>();
            Set<Integer> execed = new HashSet<>();
            for (String line : lines) {
                int pid = Integer.parseInt(line.substring(5));
                forked.add(pid);
                if (line.startsWith("exec ")) {
                    execed.add(pid);
                }
            }
            Seen seen = new Seen();
            receiveUntil(events, seen, () -> seen.exits.containsAll(forked) && seen.exits.contains(shellPid)
                    && seen.execs.containsAll(execed) && seen.parents.keySet().containsAll(forked));
            assertFalse(seen.lost, "events were lost");
            for (int pid : forked) {
                assertEquals(shellPid, seen.parents.get(pid), "child " + pid + " reported as forked by the shell");
                long at = seen.forkedAt.get(pid);
                assertTrue(at >= before && at <= System.nanoTime(), "a fork's time is CLOCK_MONOTONIC: " + at);
            }
            assertTrue(seen.execs.contains(shellPid), "the shell's own exec (sh) is reported");
        }
    }

    @Test
    void threadsAreNotReportedAsProcesses() throws Exception {
        Interpreters.Interpreter python = Interpreters.hostPython3();
        try (ProcEvents events = ProcEvents.open()) {
            assertNotNull(events, "no process events (root, initial namespaces, CONFIG_PROC_EVENTS)");
            Process p = new ProcessBuilder(python.path().toString(), "-c", String.join("\n",
                    "import threading",
                    "ids = []",
                    "def run(): ids.append(threading.get_native_id())",
                    "ts = [threading.Thread(target=run) for _ in range(8)]",
                    "[t.start() for t in ts]",
                    "[t.join() for t in ts]",
                    "print(' '.join(map(str, ids)))"))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            List<Integer> threads = new ArrayList<>();
            for (String id : out.split(" ")) {
                threads.add(Integer.parseInt(id));
            }
            assertEquals(8, threads.size(), out);
            int pid = (int) p.pid();
            Seen seen = new Seen();
            // the process's own exit comes after its threads' exits and any fork of theirs
            receiveUntil(events, seen, () -> seen.exits.contains(pid));
            for (int tid : threads) {
                assertFalse(seen.parents.containsKey(tid), "thread " + tid + " reported as a process");
                assertFalse(seen.exits.contains(tid), "thread " + tid + "'s exit reported as a process's");
            }
            assertTrue(seen.parents.containsKey(pid), "the process itself is reported");
        }
    }

    @Test
    void eventsLostToAFullQueueAreSaidToBeLost() throws Exception {
        try (ProcEvents events = ProcEvents.open(16 << 10)) { // some tens of events
            assertNotNull(events, "no process events (root, initial namespaces, CONFIG_PROC_EVENTS)");
            Process shell = new ProcessBuilder("sh", "-c", "for i in $(seq 100); do ( : ) & done; wait").start();
            assertTrue(shell.waitFor(60, TimeUnit.SECONDS));
            Seen seen = new Seen();
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (!seen.lost) {
                assertTrue(System.nanoTime() < deadline, "100 forks and exits unread never overflowed the queue");
                seen.lost = !events.receive(100, seen);
            }
            // and it goes on: events after the loss are reported (on a busy machine a queue this small
            // may overflow again, so any process's exit will do)
            seen.exits.clear();
            while (seen.exits.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "no event reported after the loss");
                assertTrue(new ProcessBuilder("true").start().waitFor(60, TimeUnit.SECONDS));
                events.receive(100, seen);
            }
        }
    }

    private static void receiveUntil(ProcEvents events, Seen seen, BooleanSupplier done) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "events not all reported within 60 s");
            if (!events.receive(100, seen)) {
                seen.lost = true;
            }
        }
    }
}
