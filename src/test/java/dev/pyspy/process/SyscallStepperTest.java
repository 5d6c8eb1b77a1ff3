package dev.pyspy.process;

import dev.pyspy.process.SyscallStepper.Stop;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A program stepped one system call at a time from its held start ({@link SyscallStepper}) runs as it
 * would untraced: a signal sent to it meanwhile reaches its handler, the threads and processes it
 * starts run untraced, its exit status reaches the {@link ChildProcess} that started it, and a
 * group-stop ends the stepping with the program left stopped. The program ({@code stepped_target.py})
 * says what it saw; the stepper must have seen its exec and its system calls.
 */
@NeedsRoot
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SyscallStepperTest {
    private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static Path scripts;

    @BeforeAll
    static void copyScripts() throws Exception {
        scripts = TargetProcess.scripts("stepped_target.py");
    }

    /** One run of the target, held at its start, and what the stepper saw of it. */
    private static final class Run implements AutoCloseable {
        final Path truth = scripts.resolve("truth-" + System.nanoTime() + ".txt");
        final ChildProcess child;
        final SyscallStepper stepper;
        final Map<Stop, Integer> seen = new EnumMap<>(Stop.class);

        Run(String mode) throws Exception {
            Interpreters.Interpreter python = Interpreters.hostPython3();
            child = ChildProcess.startHeld(python.command(scripts.resolve("stepped_target.py").toString(),
                    truth.toString(), mode), Map.of("PYTHONDONTWRITEBYTECODE", "1"), null);
            stepper = SyscallStepper.seizeStopped(child.pid());
            child.release();
        }

        String said() {
            try {
                return Files.exists(truth) ? Files.readString(truth).strip() : "";
            } catch (IOException e) {
                return "";
            }
        }

        /** Steps until {@code until} holds or stepping ends (exit, group-stop); the last stop. */
        Stop stepUntil(BooleanSupplier until) {
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (System.nanoTime() - deadline < 0) {
                Stop s = stepper.step(STEP_NANOS);
                seen.merge(s, 1, Integer::sum);
                if (s == Stop.EXITED || s == Stop.GROUP_STOP || s == Stop.LOST || until.getAsBoolean()) {
                    return s;
                }
            }
            throw new AssertionError("the target did not get there within 60 s; it said: " + said() + "; seen " + seen);
        }

        /** It was stepped: its exec and its system calls, both ways, were stops. */
        void assertStepped() {
            assertTrue(seen.getOrDefault(Stop.EXEC, 0) >= 1, "the exec of the interpreter is a stop: " + seen);
            assertTrue(seen.getOrDefault(Stop.SYSCALL_ENTRY, 0) > 50 && seen.getOrDefault(Stop.SYSCALL_EXIT, 0) > 50,
                    "its system calls were stops: " + seen);
        }

        @Override
        public void close() {
            stepper.close();
            if (child.isAlive()) {
                child.kill(LibC.SIGKILL);
                try {
                    child.waitForExit();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            child.close();
        }
    }

    @Test
    void aSignalSentWhileSteppedReachesTheProgramsHandler() throws Exception {
        try (Run run = new Run("signal")) {
            Stop s = run.stepUntil(() -> run.said().startsWith("waiting"));
            assertFalse(s == Stop.EXITED || s == Stop.GROUP_STOP || s == Stop.LOST, "stepping went on: " + run.seen);
            assertEquals(LibC.gettid(), ProcFs.tracerPid(run.child.pid()), "stepped until then");
            run.assertStepped();
            assertTrue(run.child.kill(LibC.SIGUSR1));
            assertEquals(Stop.EXITED, run.stepUntil(() -> false), "stepped to its end");
            assertEquals("got SIGUSR1", run.said());
            assertEquals(0, run.child.waitForExit(), "the exit status reaped by the stepper reaches ChildProcess");
        }
    }

    @Test
    void theThreadsAndProcessesItStartsRunUntraced() throws Exception {
        try (Run run = new Run("spawn")) {
            run.stepUntil(() -> run.said().startsWith("waiting"));
            String[] ids = run.said().split(" ");
            int pid = Integer.parseInt(ids[1]);
            int thread = Integer.parseInt(ids[2]);
            int forked = Integer.parseInt(ids[3]);
            assertEquals(run.child.pid(), pid);
            assertEquals(LibC.gettid(), ProcFs.tracerPid(pid), "the main thread is stepped");
            assertEquals(0, ProcFs.threadTracerPid(pid, thread), "its new thread is not: " + run.said());
            assertEquals(0, ProcFs.tracerPid(forked), "nor its child: " + run.said());
            assertTrue(run.child.kill(LibC.SIGUSR1));
            assertEquals(Stop.EXITED, run.stepUntil(() -> false));
            assertEquals("got SIGUSR1", run.said());
            assertEquals(0, run.child.waitForExit());
        }
    }

    @Test
    void itsExitCodeReachesTheChildProcess() throws Exception {
        try (Run run = new Run("exit")) {
            assertEquals(Stop.EXITED, run.stepUntil(() -> false));
            run.assertStepped();
            assertFalse(run.child.isAlive());
            assertEquals(7, run.child.exitCode().orElse(-1));
        }
    }

    @Test
    void aGroupStopEndsSteppingAndLeavesTheProgramStopped() throws Exception {
        try (Run run = new Run("signal")) {
            run.stepUntil(() -> run.said().startsWith("waiting"));
            assertTrue(run.child.kill(LibC.SIGSTOP));
            assertEquals(Stop.GROUP_STOP, run.stepUntil(() -> false));
            run.stepper.close();
            assertEquals(0, ProcFs.tracerPid(run.child.pid()), "let go");
            long deadline = System.nanoTime() + WAIT_NANOS; // let go, it goes back to its group-stop
            while (ProcFs.processState(run.child.pid()) != 'T' && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            assertEquals('T', ProcFs.processState(run.child.pid()), "stopped as the signal asked");
            assertTrue(run.child.kill(LibC.SIGCONT));
            assertTrue(run.child.kill(LibC.SIGUSR1));
            assertEquals(0, run.child.waitForExit());
            assertEquals("got SIGUSR1", run.said());
        }
    }
}
