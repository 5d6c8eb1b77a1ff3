package dev.pyspy.process;

/** The wait(2) status macros (WIFEXITED etc.) for the int that waitpid stores. */
public final class WaitStatus {

    private WaitStatus() {}

    public static boolean exited(int status) {
        return (status & 0x7f) == 0;
    }

    public static int exitStatus(int status) {
        return (status >> 8) & 0xff;
    }

    public static boolean signaled(int status) {
        int low = status & 0x7f;
        return low != 0 && low != 0x7f;
    }

    public static int termSignal(int status) {
        return status & 0x7f;
    }

    public static boolean stopped(int status) {
        return (status & 0xff) == 0x7f;
    }

    public static int stopSignal(int status) {
        return (status >> 8) & 0xff;
    }

    /** The PTRACE_EVENT_* number of a ptrace stop, 0 for a signal-delivery-stop. */
    public static int ptraceEvent(int status) {
        return status >>> 16;
    }

    /** Whether the process or thread is gone (exited or killed). */
    public static boolean terminated(int status) {
        return exited(status) || signaled(status);
    }

    /** Shell convention: the exit code, or 128 + the signal that killed it. */
    public static int shellExitCode(int status) {
        return exited(status) ? exitStatus(status) : 128 + termSignal(status);
    }

    /** Builds the status waitpid would report for an exit, for statuses learnt through waitid. */
    static int ofExit(int code) {
        return (code & 0xff) << 8;
    }

    static int ofSignal(int signal) {
        return signal & 0x7f;
    }

    public static String describe(int status) {
        if (exited(status)) {
            return "exited with " + exitStatus(status);
        }
        if (signaled(status)) {
            return "killed by signal " + termSignal(status);
        }
        if (stopped(status)) {
            return "stopped by signal " + stopSignal(status) + " event " + ptraceEvent(status);
        }
        return String.format("status 0x%x", status);
    }
}
