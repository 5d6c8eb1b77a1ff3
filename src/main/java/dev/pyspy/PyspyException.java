package dev.pyspy;

/**
 * The project's one checked error: a message a user can act on and the exit code it maps to.
 * Subclasses on hot paths skip stack traces (see {@link dev.pyspy.process.MemoryReadException}).
 */
public class PyspyException extends Exception {
    private final ExitCode exitCode;

    public PyspyException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public PyspyException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    protected PyspyException(ExitCode exitCode, String message, boolean withStackTrace) {
        super(message, null, false, withStackTrace);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }
}
