package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.process.MemoryMapping;
import dev.pyspy.process.ProcFs;
import dev.pyspy.process.ProcMaps;
import dev.pyspy.process.SyscallStepper;
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
 * pyspy gets ready to watch it, and is then stepped one system call at a time ({@link SyscallStepper}):
 * it cannot run ahead of pyspy, however starved pyspy's thread is. Each new image it runs (an exec,
 * or libpython mapped) is inspected while it is stopped: that is the slow, once-per-binary part
 * (ELF, symbols, version, layout). At each system call entry pyspy then looks for its interpreter, a
 * few reads; the call where it is found is where the program is held while the rest of attaching
 * is done, and stays held until the sampler has taken its first sample ({@link Attached#release()},
 * called by {@link SamplingRun#start}). Should stepping be refused (a debugger traces the program)
 * or end early (a group-stop, another thread's exec, ten seconds without an interpreter), pyspy
 * watches it every millisecond instead, holding each new image with ptrace while it inspects it and
 * the program once its interpreter is found, and the program runs free in between.
 * Nothing is written to the program and no code is run in it.
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
    private static final int SCAN_EVERY_ENTRIES = 16;
    /** Stepping a loaded Python that shows no interpreter this long gives way to watching it (it slows the program). */
    private static final long STEPPING_LIMIT_NANOS = 10_000_000_000L;

    /** The program's interpreter, with the program held stopped until {@link #release()}. */
    record Attached(PythonProcess python, Runnable hold) {
        /** Lets the program run; call from the thread that attached. Idempotent. */
        void release() {
            hold.run();
        }
    }

    /** What stepping returns when it ends without an answer: the program runs on, watched by {@link #poll}. */
    private static final Attached WATCH = new Attached(null, () -> { });

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
    /** Stepping: an image's key includes its interpreter file's mappings, inspected again as the loader maps it. */
    private boolean stepping;

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
        SyscallStepper stepper = seize();
        stepping = stepper != null;
        rehearse();
        child.release();
        if (stepper != null) {
            Attached a = step(stepper);
            if (a != WATCH) {
                return a;
            }
            stepping = false;
            inspectedKey = null;
        }
        return poll();
    }

    /** The stepper of the held program; null, leaving it to {@link #poll}, when ptrace refuses. */
    private SyscallStepper seize() {
        try {
            return SyscallStepper.seizeStopped(child.pid());
        } catch (PyspyException e) {
            LOG.debug("cannot step process {}: {}; watching it instead", child.pid(), e.getMessage());
            return null;
        }
    }

    /**
     * Steps the program from its start until its interpreter is found: then it is held where it
     * stopped (or, with more than one thread, as {@link #open()} holds it). Null: a launcher, left
     * running; {@link #WATCH}: stepping ended without an answer, the program runs on untraced.
     */
    private Attached step(SyscallStepper stepper) throws PyspyException {
        int pid = child.pid();
        boolean handedOver = false;
        List<MemoryMapping> maps = null;
        String exe = null;
        boolean mapsStale = true;
        long pythonSince = 0;
        long entries = 0;
        try {
            while (true) {
                SyscallStepper.Stop stop = stepper.step(POLL_NANOS);
                switch (stop) {
                    case EXITED -> throw exitedEarly();
                    case GROUP_STOP, LOST -> {
                        LOG.debug("{} ms: stepping ended ({}) after {} stops", millis(), stop, stepper.stops());
                        return WATCH;
                    }
                    case EXEC -> mapsStale = true;
                    default -> mapsStale |= stepper.fileMappingsMayHaveChanged();
                }
                if (image == null && tree != null && (stop == SyscallStepper.Stop.RUNNING || stepper.mayHaveStartedProcess())
                        && tree.members().size() > 1) {
                    LOG.debug("{} ms: not Python and starting children: a launcher", millis());
                    return null;
                }
                if (mapsStale && stop != SyscallStepper.Stop.RUNNING) {
                    try {
                        maps = ProcMaps.read(pid);
                        exe = ProcFs.exePath(pid);
                        mapsStale = false;
                    } catch (PyspyException e) {
                        lastFailure = e; // read again at the next stop
                    }
                    if (!mapsStale && (image == null || !image.describes(maps, exe) || !key(maps, exe).equals(inspectedKey))) {
                        inspect(maps, exe);
                    }
                }
                if (image == null) {
                    pythonSince = 0;
                    if (System.nanoTime() - start > NOT_PYTHON_GIVE_UP_NANOS) {
                        throw notPython();
                    }
                    continue;
                }
                pythonSince = pythonSince == 0 ? System.nanoTime() : pythonSince;
                boolean entry = stop == SyscallStepper.Stop.SYSCALL_ENTRY || stop == SyscallStepper.Stop.SYSCALL;
                // the symbols at each call; without them, a scan of the binary's data at every 16th,
                // with the maps as they are (the heap the interpreter is in grows unseen)
                boolean scan = entry && !image.hasInterpreterSymbols() && entries++ % SCAN_EVERY_ENTRIES == 0;
                if (scan) {
                    try {
                        maps = ProcMaps.read(pid);
                    } catch (PyspyException e) {
                        lastFailure = e;
                        continue;
                    }
                }
                if (entry && found(maps, scan)) {
                    LOG.debug("{} ms: interpreter found at a system call ({}) after {} stops", millis(),
                            stepper.syscall(), stepper.stops());
                    Attached a = openHeld(stepper);
                    handedOver = a != null && stepper.holding();
                    return a != null ? a : WATCH;
                }
                noticeWaiting();
                if (System.nanoTime() - pythonSince > STEPPING_LIMIT_NANOS) {
                    LOG.debug("{} ms: no interpreter after {} stops; watching instead", millis(), stepper.stops());
                    return WATCH;
                }
            }
        } finally {
            if (!handedOver) {
                stepper.close();
            }
        }
    }

    private boolean found(List<MemoryMapping> maps, boolean scan) throws PyspyException {
        try {
            return image.findInterpreter(maps, scan);
        } catch (PyspyException e) {
            throw giveUp(e);
        }
    }

    /**
     * Opens the interpreter found while the program is stopped at a system call: that stop is the
     * hold. Other threads would run meanwhile: then the program is let go and held as {@link #open()}
     * holds it (Python's start-up makes none before its interpreter exists).
     */
    private Attached openHeld(SyscallStepper stepper) throws PyspyException {
        if (ProcFs.threadIds(child.pid()).length > 1) {
            stepper.close();
            return open();
        }
        try {
            PythonProcess python = image.open();
            LOG.debug("{} ms: attached; the program is held until its first sample", millis());
            return new Attached(python, stepper::close);
        } catch (PyspyException e) {
            throw giveUp(e);
        }
    }

    /** The watching loop: the program runs while pyspy looks at it every millisecond. */
    private Attached poll() throws PyspyException {
        int pid = child.pid();
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
                throw notPython();
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
        inspectedKey = key(maps, exe);
        inspectedAt = System.nanoTime(); // not Python: the holding shell
    }

    /**
     * What an inspection depends on: the executable and the interpreter's file; when stepping, also
     * where that file's parts are mapped (each mapping's address less its file offset), since the
     * program stops while the loader is still mapping it: a file mapped whole at first reads wrong
     * where a later mapping puts a part elsewhere. A change of protection alone changes nothing.
     */
    private String key(List<MemoryMapping> maps, String exe) {
        String chosen = PythonBinary.choose(maps, exe);
        StringBuilder key = new StringBuilder(exe).append('\n').append(chosen);
        if (stepping) {
            ProcMaps.ofFile(maps, chosen).stream().mapToLong(m -> m.start() - m.offset()).distinct().sorted()
                    .forEach(delta -> key.append(' ').append(Long.toHexString(delta)));
        }
        return key.toString();
    }

    /** Stepping: whether the loader has mapped the interpreter file's data (where its runtime and version are). */
    private boolean dataMapped(List<MemoryMapping> maps, String exe) {
        for (MemoryMapping m : ProcMaps.ofFile(maps, PythonBinary.choose(maps, exe))) {
            if (m.perms().startsWith("rw")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Inspects the image the program runs now. A new image is held stopped meanwhile (the first
     * inspection of a binary is the slow part); one that failed before is retried at a slower pace,
     * for what may become readable once it runs.
     */
    private void inspect(List<MemoryMapping> maps, String exe) throws PyspyException {
        String key = key(maps, exe);
        boolean changed = !key.equals(inspectedKey);
        if (stepping && !dataMapped(maps, exe)) {
            image = null; // the loader has yet to map it all: inspected once it has
            return;
        }
        if (!changed && System.nanoTime() - inspectedAt < REINSPECT_NANOS) {
            return;
        }
        inspectedKey = key;
        inspectedAt = System.nanoTime();
        image = null;
        ThreadPauser hold = changed && !stepping ? hold() : null; // a stepped program is stopped already
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
            return new Attached(python, hold::close);
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

    /** Giving up on a program that has not loaded Python: what last failed, or that it does not look like it. */
    private PyspyException notPython() {
        return giveUp(lastFailure != null ? lastFailure
                : new PyspyException(ExitCode.NOT_PYTHON, "process " + child.pid() + " does not look like Python"));
    }

    private long millis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void pause() {
        LockSupport.parkNanos(POLL_NANOS);
    }
}
