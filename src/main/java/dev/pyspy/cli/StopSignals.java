package dev.pyspy.cli;

import com.sun.jna.LastErrorException;
import dev.pyspy.process.LibC;
import dev.pyspy.util.Log;
import sun.misc.Signal;

/**
 * SIGINT (Ctrl-C, {@code kill -INT}) and SIGTERM end a recording like its end would: pyspy writes
 * the output and exits normally. Handled here rather than by the JVM's exit on these signals,
 * whose exit code would be 128 + the signal. A shell starts a background job with SIGINT ignored
 * (POSIX), and the JVM then leaves it ignored; such a pyspy must still stop on {@code kill -INT},
 * as py-spy does, so the disposition is reset first.
 */
final class StopSignals {
    private static final Log LOG = Log.of(StopSignals.class);
    private static final String[] NAMES = {"INT", "TERM"};

    private StopSignals() {
    }

    /** From now on, SIGINT and SIGTERM run {@code onStop} (on a JVM thread) instead of ending pyspy. */
    static void install(Runnable onStop) {
        unignore(LibC.SIGINT);
        for (String name : NAMES) {
            try {
                Signal.handle(new Signal(name), sig -> onStop.run());
            } catch (IllegalArgumentException e) {
                LOG.debug("cannot handle SIG{}: {}", name, e.getMessage()); // -Xrs: the JVM's own handling stays
            }
        }
    }

    /** The JVM will not take over a signal that is ignored: give it back its default first. */
    private static void unignore(int signal) {
        try (com.sun.jna.Memory old = new com.sun.jna.Memory(LibC.SIZEOF_SIGACTION)) {
            old.clear();
            LibC.sigaction(signal, null, old);
            if (old.getLong(0) == LibC.SIG_IGN) {
                LibC.signal(signal, LibC.SIG_DFL);
            }
        } catch (LastErrorException e) {
            LOG.debug("sigaction({}): {}", signal, e.getMessage());
        }
    }
}
