package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ProcMaps;
import dev.pyspy.process.ThreadPauser;
import dev.pyspy.python.PythonBinary;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.sampler.ProcessTree;
import dev.pyspy.util.Log;


import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Attaches to a program pyspy has just launched so that sampling can begin before its interpreter
 * runs the first line of the script. The program starts held ({@link ChildProcess#startHeld}) while
 * pyspy gets ready to watch it. Each new image it then runs (an exec) is held stopped (ptrace,
 * released by the kernel should pyspy die) while pyspy inspects it: that is the slow,
 * once-per-binary part (ELF, symbols, version, layout). Then the program runs while pyspy looks for
 * its interpreter every millisecond, a few reads each time; once found, the program is held again
 * while the rest of attaching is done, and stays held until the sampler has taken its first sample
 * ({@link Attached#release()}, called by {@link SamplingRun#start}). Nothing is written to the program and no code is run in it.
 *
 * <p>Attaching never ends the program: while a Python binary is loaded pyspy keeps looking as long
 * as the program runs (saying so after a second); it gives up, leaving the program running, when no
 * Python is loaded after {@link #NOT_PYTHON_GIVE_UP_NANOS} or attaching fails in a way retrying
 * cannot mend.
 *
 * <p>With {@code --subprocesses} the program may be a launcher (a shell, a supervisor) whose Python
 * processes are its children: {@link #attachUnlessLauncher} stops watching it, unheld, as soon as it
 * starts a child while it does not run Python itself, and the tree is sampled from its first
 * Python process on.
 */
final class LaunchAttach {
    private static final Log LOG = Log.of(LaunchAttach.class);
    private static final long POLL_NANOS = 1_000_000;
    /** A failed inspection of an image that did not change is retried this often (without holding it). */
    private static final long REINSPECT_NANOS = 50_000_000;
    private static final long NOT_PYTHON_GIVE_UP_NANOS = 10_000_000_000L;
    private static final long WAITING_NOTICE_NANOS = 1_000_000_000L;

    /** The program's interpreter, with the program held stopped until {@link #release()}. */
    record Attached(PythonProcess python, ThreadPauser hold) {
        /** Lets the program run; call from the thread that attached. Idempotent. */
        void release() {
            hold.close();
        }
    }

    /** Attaching gave up while the program runs on: it is left running. */
    static final class GaveUp extends PyspyException {
        GaveUp(ExitCode code, String message, Throwable cause) {
            super(code, message, cause);
        }
    }

    private final ChildProcess child;
    private final PrintStream err;
    /** {@code --subprocesses}: a program that is not Python but starts children is a launcher; else null. */
    private final ProcessTree tree;
    private final long start = System.nanoTime();
    private PythonProcess.Image image;
    private String inspectedKey;
    private long inspectedAt;
    private PyspyException lastFailure;
    private boolean noticeShown;

    private LaunchAttach(ChildProcess child, PrintStream err, boolean launcherMayGiveWay) {
        this.child = child;
        this.err = err;
        this.tree = launcherMayGiveWay ? new ProcessTree(child.pid()) : null;
    }

    static Attached attach(ChildProcess child, PrintStream err) throws PyspyException {
        return new LaunchAttach(child, err, false).run();
    }

    /**
     * Like {@link #attach}, or null, with the program running, once it is clear that the program is
     * a launcher: it started a child while not running Python. A program that execs Python without
     * a fork first ({@code env python3 app.py}) is held as without {@code --subprocesses}.
     */
    static Attached attachUnlessLauncher(ChildProcess child, PrintStream err) throws PyspyException {
        return new LaunchAttach(child, err, true).run();
    }

    private Attached run() throws PyspyException {
        int pid = child.pid();
        rehearse();
        child.release();
        while (true) {
            if (!child.isAlive()) {
                throw exitedEarly();
            }
            List<MemoryMapping> maps;
            String exe;
            try {
                maps = ProcMaps.read(pid);
                exe = ProcFs.exePath(pid);
            } catch (PyspyException e) {
                lastFailure = e; // between images while it execs, or exiting: looked at again below
                pause();
                continue;
            }
            if (image == null || !image.describes(maps, exe)) {
                inspect(maps, exe);
                if (image != null) {
                    continue; // the maps may have changed while it was inspected
                }
            }
            if (image != null) {
                boolean found;
                try {
                    found = image.findInterpreter(maps);
                } catch (PyspyException e) {
                    throw giveUp(e);
                }
                if (found) {
                    Attached attached = open();
                    if (attached != null) {
                        return attached;
                    }
                }
                noticeWaiting();
            } else if (tree != null && tree.members().size() > 1) {
                LOG.debug("{} ms: not Python and starting children: a launcher", millis());
                return null;
            } else if (System.nanoTime() - start > NOT_PYTHON_GIVE_UP_NANOS) {
                throw giveUp(lastFailure != null ? lastFailure
                        : new PyspyException(ExitCode.NOT_PYTHON, "process " + pid + " does not look like Python"));
            }
            pause();
        }
    }

    /**
     * While the program is held before it starts: the reads of the watching loop, done once on the
     * holding shell, so that the first rounds on the program are not slowed by loading classes.
     */
    private void rehearse() throws PyspyException {
        List<MemoryMapping> maps = ProcMaps.read(child.pid());
        String exe = ProcFs.exePath(child.pid());
        inspectedKey = exe + "\n" + PythonBinary.choose(maps, exe);
    }

    /**
     * Inspects the image the program runs now. A new image is held stopped meanwhile (the first
     * inspection of a binary is the slow part); one that failed before is retried at a slower pace,
     * for what may become readable once it runs.
     */
    private void inspect(List<MemoryMapping> maps, String exe) throws PyspyException {
        String key = exe + "\n" + PythonBinary.choose(maps, exe);
        boolean changed = !key.equals(inspectedKey);
        if (!changed && System.nanoTime() - inspectedAt < REINSPECT_NANOS) {
            return;
        }
        inspectedKey = key;
        inspectedAt = System.nanoTime();
        image = null;
        ThreadPauser hold = changed ? hold() : null;
        try {
            image = PythonProcess.inspect(child.pid());
            LOG.debug("{} ms: inspected {}", millis(), key.replace('\n', ' '));
        } catch (PyspyException e) {
            if (!retryable(e)) {
                throw giveUp(e);
            }
            lastFailure = e;
            LOG.debug("{} ms: cannot inspect {} yet: {}", millis(), key.replace('\n', ' '), e.getMessage());
        } finally {
            if (hold != null) {
                hold.close();
            }
        }
    }

    /** Holds the program while the interpreter found is opened; null if it exited meanwhile. */
    private Attached open() throws PyspyException {
        ThreadPauser hold = hold();
        if (hold == null) {
            return null;
        }
        try {
            LOG.debug("{} ms: interpreter found", millis());
            PythonProcess python = image.open();
            LOG.debug("{} ms: attached; the program is held until its first sample", millis());
            return new Attached(python, hold);
        } catch (PyspyException e) {
            hold.close();
            throw giveUp(e);
        } catch (RuntimeException e) {
            hold.close();
            throw e;
        }
    }

    /** Stops every thread of the program; null when it is gone (the loop then reports its exit). */
    private ThreadPauser hold() throws PyspyException {
        try {
            return ThreadPauser.pauseAll(child.pid());
        } catch (PyspyException e) {
            if (e.exitCode() == ExitCode.NO_SUCH_PROCESS || !child.isAlive()) {
                return null;
            }
            throw giveUp(e);
        }
    }

    private static boolean retryable(PyspyException e) {
        // While the program execs, its memory can be empty (NO_SUCH_PROCESS) or not yet Python.
        return e.exitCode() == ExitCode.NOT_PYTHON || e.exitCode() == ExitCode.ERROR
                || e.exitCode() == ExitCode.NO_SUCH_PROCESS;
    }

    private void noticeWaiting() {
        if (noticeShown || System.nanoTime() - start < WAITING_NOTICE_NANOS) {
            return;
        }
        noticeShown = true;
        err.printf(Locale.ROOT, "pyspy> Python %s is loaded in process %d but its interpreter has not started yet;"
                + " still waiting (Control-C to stop)%n", image.version(), child.pid());
        err.flush();
    }

    private PyspyException exitedEarly() {
        int code = child.exitCode().orElse(-1);
        return new PyspyException(ExitCode.ERROR, "'" + String.join(" ", child.command())
                + "' exited (code " + code + ") before pyspy could attach to it");
    }

    /** The failure to report: the program's exit if it is gone, else giving up with the program left running. */
    private PyspyException giveUp(PyspyException e) {
        if (!child.isAlive()) {
            return exitedEarly();
        }
        return new GaveUp(e.exitCode(), e.getMessage() + "; pyspy gave up attaching and leaves the program running (pid "
                + child.pid() + ")", e);
    }

    private long millis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void pause() {
        LockSupport.parkNanos(POLL_NANOS);
    }
}
