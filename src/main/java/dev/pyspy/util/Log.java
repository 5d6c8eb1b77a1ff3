package dev.pyspy.util;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.logging.Level;

/**
 * A class's logger, started on first use. pyspy logs through SLF4J onto java.util.logging, and
 * starting SLF4J (finding and binding its provider) is a measurable share of a one-shot command's
 * start-up: a debug message that java.util.logging would drop is dropped before SLF4J starts, so a
 * plain {@code dump}, which logs nothing, never starts it.
 */
public final class Log {
    private final String name;
    private volatile Logger logger;

    private Log(String name) {
        this.name = name;
    }

    public static Log of(Class<?> owner) {
        return new Log(owner.getName());
    }

    /** Whether debug messages are written (-v): to spare a caller building their arguments. */
    public boolean debugEnabled() {
        // the level SLF4J's java.util.logging binding would check: -v sets it
        return java.util.logging.Logger.getLogger(name).isLoggable(Level.FINE);
    }

    public void debug(String format, Object... args) {
        if (debugEnabled()) {
            logger().debug(format, args);
        }
    }

    public void warn(String format, Object... args) {
        logger().warn(format, args);
    }

    private Logger logger() {
        Logger l = logger;
        if (l == null) {
            l = LoggerFactory.getLogger(name);
            logger = l;
        }
        return l;
    }
}
