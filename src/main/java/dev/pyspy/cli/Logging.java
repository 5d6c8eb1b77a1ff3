package dev.pyspy.cli;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * pyspy logs through SLF4J onto java.util.logging (which JNA loads anyway, so no logging framework
 * has to start): warnings and errors to stderr as {@code LEVEL Class: message}, debug with {@code -v}.
 */
final class Logging {
    private Logging() {
    }

    /**
     * Called by {@code main} before anything logs: names the provider (sparing SLF4J its service
     * look-up) and mutes SLF4J's note that it loads a provider named by property. The JDK's
     * logging.properties is not read (an empty configuration, unless the user names one): pyspy
     * sets the only handler itself, and the default one would be built only to be removed.
     */
    static void configure() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.jul.JULServiceProvider");
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
        if (System.getProperty("java.util.logging.config.file") == null
                && System.getProperty("java.util.logging.config.class") == null) {
            System.setProperty("java.util.logging.config.file", "/dev/null");
        }
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler stderr = new Stderr();
        stderr.setFormatter(new OneLine());
        stderr.setLevel(Level.ALL);
        root.addHandler(stderr);
        root.setLevel(Level.WARNING);
    }

    /** Debug messages (SLF4J's debug is java.util.logging's FINE) on or off. */
    static void setVerbose(boolean on) {
        Logger.getLogger("").setLevel(on ? Level.FINE : Level.WARNING);
    }

    /** Each record as one write to stderr (a ConsoleHandler would also build a formatter it is not given). */
    private static final class Stderr extends Handler {
        @Override
        public void publish(LogRecord r) {
            if (isLoggable(r)) {
                System.err.print(getFormatter().format(r));
                System.err.flush();
            }
        }

        @Override
        public void flush() {
            System.err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }

    private static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            String name = r.getLoggerName() == null ? "" : r.getLoggerName();
            String level = switch (r.getLevel().getName()) {
                case "SEVERE" -> "ERROR";
                case "WARNING" -> "WARN ";
                case "INFO" -> "INFO ";
                default -> "DEBUG";
            };
            return level + " " + name.substring(name.lastIndexOf('.') + 1) + ": " + formatMessage(r) + System.lineSeparator();
        }
    }
}
