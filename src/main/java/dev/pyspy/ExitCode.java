package dev.pyspy;

/** Documented exit codes; the README lists the same table. */
public enum ExitCode {
    OK(0),
    /** Reading the target failed (it changed or exited while being read), or an output could not be written. */
    ERROR(1),
    /** Invalid command line: picocli's own code for usage errors. */
    USAGE(2),
    NO_SUCH_PROCESS(3),
    PERMISSION_DENIED(4),
    NOT_PYTHON(5),
    UNSUPPORTED_VERSION(6);

    public final int code;

    ExitCode(int code) {
        this.code = code;
    }
}
