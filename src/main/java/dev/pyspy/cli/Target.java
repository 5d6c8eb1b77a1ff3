package dev.pyspy.cli;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;
import dev.pyspy.process.ChildProcess;
import dev.pyspy.python.PythonProcess;

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

    private final PythonProcess python;
    private final ChildProcess child;

    private Target(PythonProcess python, ChildProcess child) {
        this.python = python;
        this.child = child;
    }

    static Target open(Integer pid, List<String> command) throws PyspyException {
        if (pid != null) {
            return new Target(PythonProcess.attach(pid), null);
        }
        ChildProcess child = ChildProcess.start(command, Map.of(), ChildProcess.RunAs.fromSudo().orElse(null));
        return new Target(attachWhenReady(child), child);
    }

    /** A launched interpreter needs a moment before its thread states exist: retry until they do. */
    private static PythonProcess attachWhenReady(ChildProcess child) throws PyspyException {
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MILLIS;
        while (true) {
            try {
                return PythonProcess.attach(child.pid());
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
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new PyspyException(ExitCode.ERROR, "interrupted while starting the program");
            }
        }
    }

    PythonProcess python() {
        return python;
    }

    boolean launched() {
        return child != null;
    }

    /** Short name for default output files: the program's name, or the pid. */
    String shortName(List<String> command) {
        if (child == null) {
            return Integer.toString(python.pid());
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
