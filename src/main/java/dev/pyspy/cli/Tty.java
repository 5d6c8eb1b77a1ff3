package dev.pyspy.cli;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/** Whether a standard stream is a terminal (status lines and the live view need one). */
final class Tty {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    private Tty() {
    }

    private static native int isatty(int fd);

    static boolean stderr() {
        return isatty(2) == 1;
    }

    static boolean stdout() {
        return isatty(1) == 1;
    }
}
