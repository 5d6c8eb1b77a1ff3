package dev.pyspy.cli;

import java.util.logging.ConsoleHandler;
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
    private static final Logger ROOT = Logger.getLogger("");

    private Logging() {
    }

    /**
     * Called by {@code main} before anything logs: names the provider (sparing SLF4J its service
     * look-up) and mutes SLF4J's note that it loads a provider named by property.
     */
    static void configure() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.jul.JULServiceProvider");
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
        for (Handler h : ROOT.getHandlers()) {
            ROOT.removeHandler(h);
        }
        Handler stderr = new ConsoleHandler();
        stderr.setFormatter(new OneLine());
        stderr.setLevel(Level.ALL);
        ROOT.addHandler(stderr);
        ROOT.setLevel(Level.WARNING);
    }

    /** Debug messages (SLF4J's debug is java.util.logging's FINE) on or off. */
    static void setVerbose(boolean on) {
        ROOT.setLevel(on ? Level.FINE : Level.WARNING);
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
