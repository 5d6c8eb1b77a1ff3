package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.python.PythonProcess;
import dev.pyspy.sampler.ProcessTree;

import java.util.List;
import java.util.Map;

/**
 * The process a command samples: an existing one given by pid, or a program pyspy launches
 * ({@code -- python app.py}) and, at the end, reaps for its exit code.
 */
final class Target implements AutoCloseable {
    /** How long a launched program may take to bring its interpreter up. */
    private static final long STARTUP_TIMEOUT_MILLIS = 10_000;
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;

    private final int rootPid;
    private final PythonProcess python;
    private final ChildProcess child;

    private Target(int rootPid, PythonProcess python, ChildProcess child) {
        this.rootPid = rootPid;
        this.python = python;
        this.child = child;
    }

    /**
     * With {@code subprocesses}, the process given or launched may be any program (a shell, a
     * supervisor): {@link #python()} is then the first Python process of its tree, waited for.
     */
    static Target open(Integer pid, List<String> command, boolean subprocesses) throws PyspyException {
        if (pid != null) {
            return new Target(pid, subprocesses ? firstPythonInTree(pid) : PythonProcess.attach(pid), null);
        }
        ChildProcess child = ChildProcess.start(command, Map.of(), ChildProcess.RunAs.fromSudo().orElse(null));
        return new Target(child.pid(), attachWhenReady(child, subprocesses ? new ProcessTree(child.pid()) : null), child);
    }

    /** Waits while the process lives for a Python process to appear in its tree (py-spy waits too). */
    private static PythonProcess firstPythonInTree(int pid) throws PyspyException {
        ProcessTree tree = new ProcessTree(pid);
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MILLIS;
        while (true) {
            try {
                return tree.attachFirstPython();
            } catch (PyspyException e) {
                if (e.exitCode() != ExitCode.NOT_PYTHON || PythonProcess.isGone(pid)
                        || System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            pause();
        }
    }

    /**
     * A launched interpreter needs a moment before its thread states exist: retry until they do.
     * With a {@code tree}, any Python process of the launched program's tree will do.
     */
    private static PythonProcess attachWhenReady(ChildProcess child, ProcessTree tree) throws PyspyException {
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MILLIS;
        while (true) {
            try {
                return tree != null ? tree.attachFirstPython() : PythonProcess.attach(child.pid());
            } catch (PyspyException e) {
                if (!child.isAlive()) {
                    int code = child.exitCode().orElse(-1);
                    throw new PyspyException(ExitCode.ERROR, "'" + String.join(" ", child.command())
                            + "' exited (code " + code + ") before pyspy could attach to it");
                }
                // While the child execs, its memory can be empty (NO_SUCH_PROCESS) or not yet Python.
                boolean retry = e.exitCode() == ExitCode.NOT_PYTHON || e.exitCode() == ExitCode.ERROR
                        || e.exitCode() == ExitCode.NO_SUCH_PROCESS;
                if (!retry || System.currentTimeMillis() > deadline) {
                    child.kill(SIGKILL);
                    throw e;
                }
            }
            pause();
        }
    }

    private static void pause() throws PyspyException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new PyspyException(ExitCode.ERROR, "interrupted while waiting for the program's interpreter");
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
     * Ends a launched program that is still running (like py-spy, so nothing is left behind) and
     * returns its exit code; 0 when pyspy attached to an existing process.
     */
    int finish() {
        if (child == null) {
            return 0;
        }
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
            return child.waitForExit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.ERROR.code;
        }
    }

    /**
     * Releases the target. A launched program still running here (pyspy is ending because of an
     * error) is ended like in {@link #finish()}, so that no program pyspy started outlives it.
     */
    @Override
    public void close() {
        if (child != null) {
            if (child.isAlive()) {
                finish();
            }
            child.close();
        }
    }
}
