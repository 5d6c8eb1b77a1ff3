package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.sampler.ProcessTree;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The process a command samples: an existing one given by pid, or a program pyspy launches
 * ({@code -- python app.py}), held at its start until sampling begins ({@link LaunchAttach}) and,
 * at the end, reaped for its exit code. With {@code --subprocesses} the process given or launched may
 * be any program (a shell, a supervisor): {@link #python()} is then the first Python process of
 * its tree, waited for while the tree lives. A launched program that is Python itself is held at
 * its start then too.
 */
final class Target implements AutoCloseable {
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    /** How long a tree may go without a Python process before pyspy gives up (py-spy waits too). */
    private static final long TREE_STARTUP_MILLIS = 10_000;

    private final int rootPid;
    private final PythonProcess python;
    private final ChildProcess child;
    private LaunchAttach.Attached held;

    private Target(int rootPid, PythonProcess python, ChildProcess child, LaunchAttach.Attached held) {
        this.rootPid = rootPid;
        this.python = python;
        this.child = child;
        this.held = held;
    }

    static Target open(Integer pid, List<String> command, boolean subprocesses, PrintStream err)
            throws PyspyException {
        if (pid != null) {
            return new Target(pid, subprocesses ? firstPythonInTree(pid, null) : PythonProcess.attach(pid), null, null);
        }
        ChildProcess child = ChildProcess.startHeld(command, Map.of(), ChildProcess.RunAs.fromSudo().orElse(null));
        LaunchAttach.Attached held;
        try {
            held = subprocesses ? LaunchAttach.attachUnlessLauncher(child, err) : LaunchAttach.attach(child, err);
        } catch (LaunchAttach.GaveUp e) {
            child.close(); // the program runs on: it is not pyspy's to end
            throw e;
        } catch (PyspyException | RuntimeException e) {
            if (child.isAlive()) {
                end(child);
            }
            child.close();
            throw e;
        }
        if (held != null) {
            return new Target(child.pid(), held.python(), child, held);
        }
        // a launcher (--subprocesses): its Python children come later; sampling starts with the
        // first Python process of its tree
        try {
            return new Target(child.pid(), firstPythonInTree(child.pid(), child), child, null);
        } catch (PyspyException | RuntimeException e) {
            child.close(); // the program runs on: it is not pyspy's to end
            throw e;
        }
    }

    /** True while a launched program is held stopped, as it is from when pyspy found its interpreter. */
    boolean held() {
        return held != null;
    }

    /**
     * Waits while the tree's root lives for a Python process to appear in it; a launched root
     * ({@code child}) that exits first is reported with its exit code.
     */
    private static PythonProcess firstPythonInTree(int pid, ChildProcess child) throws PyspyException {
        ProcessTree tree = new ProcessTree(pid);
        long deadline = System.currentTimeMillis() + TREE_STARTUP_MILLIS;
        while (true) {
            try {
                return tree.attachFirstPython();
            } catch (PyspyException e) {
                if (child != null && !child.isAlive()) {
                    throw new PyspyException(ExitCode.ERROR, "'" + String.join(" ", child.command())
                            + "' exited (code " + child.exitCode().orElse(-1) + ") before pyspy could attach to it");
                }
                // while a process execs, its memory can be empty or not yet Python
                boolean retry = e.exitCode() == ExitCode.NOT_PYTHON || e.exitCode() == ExitCode.NO_SUCH_PROCESS
                        || (child != null && e.exitCode() == ExitCode.ERROR);
                if (!retry || PythonProcess.isGone(pid) || System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new PyspyException(ExitCode.ERROR, "interrupted while waiting for the program's interpreter");
            }
        }
    }

    /**
     * Lets a launched program, held since pyspy found its interpreter, run: called by
     * {@link SamplingRun#start} once its first sample is taken, on the thread that opened the target.
     */
    void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    PythonProcess python() {
        return python;
    }

    /** The process given with -p or launched: with --subprocesses, the root of the sampled tree. */
    int rootPid() {
        return rootPid;
    }

    boolean launched() {
        return child != null;
    }

    /** Short name for default output files: the program's name, or the pid. */
    String shortName(List<String> command) {
        if (child == null) {
            return Integer.toString(rootPid);
        }
        String first = command.get(0);
        return first.substring(first.lastIndexOf('/') + 1);
    }

    /**
     * The exit code once the output is written: a launched program that ended on its own gives its
     * own exit code; otherwise (Ctrl-C, {@code -d}, a signal to pyspy, or an existing process) the
     * profile is the result and the code is 0. A launched program still running is ended first
     * (SIGTERM, then SIGKILL), like py-spy does, so that nothing is left behind.
     *
     * @param programEnded whether sampling ended because the program exited by itself
     */
    int finish(boolean programEnded) {
        if (child == null) {
            return ExitCode.OK.code;
        }
        release();
        if (programEnded) {
            try {
                return child.waitForExit();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCode.ERROR.code;
            }
        }
        end(child);
        return ExitCode.OK.code;
    }

    private static void end(ChildProcess child) {
        try {
            if (child.isAlive()) {
                child.kill(SIGTERM);
                for (int i = 0; i < 40 && child.isAlive(); i++) {
                    Thread.sleep(50);
                }
                if (child.isAlive()) {
                    child.kill(SIGKILL);
                }
            }
            child.waitForExit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Releases the target. A launched program still running here (pyspy is ending because of an
     * error) is ended like in {@link #finish}, so that no program pyspy started outlives it.
     */
    @Override
    public void close() {
        release();
        if (child != null) {
            end(child);
            child.close();
        }
    }
}
