package dev.pyspy.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LogbackServiceProvider;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * Logging set-up in code (found by logback through META-INF/services): warnings and errors to
 * stderr, debug with {@code -v}. Doing it in code instead of logback.xml spares every pyspy start
 * the XML parser, which matters for a one-shot command like {@code dump}.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    private static final String PATTERN = "%-5level %logger{0}: %msg%n";

    /**
     * Has SLF4J use {@link Provider} (unless the user chose a provider): called by {@code main}
     * before anything logs. SLF4J's note that it loads a provider named by property is muted.
     */
    static void selectProvider() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", Provider.class.getName());
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        LazyPatternEncoder encoder = new LazyPatternEncoder();
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * A {@link PatternLayoutEncoder} made on the first message: compiling the pattern loads ~100
     * converter classes (~10 ms of start-up) and most runs log nothing. Its header and footer are
     * empty, as the pattern encoder's are for this pattern.
     */
    static final class LazyPatternEncoder extends EncoderBase<ILoggingEvent> {
        private PatternLayoutEncoder delegate;

        private synchronized PatternLayoutEncoder delegate() {
            if (delegate == null) {
                PatternLayoutEncoder e = new PatternLayoutEncoder();
                e.setContext(getContext());
                e.setPattern(PATTERN);
                e.start();
                delegate = e;
            }
            return delegate;
        }

        @Override
        public byte[] headerBytes() {
            return null;
        }

        @Override
        public byte[] encode(ILoggingEvent event) {
            return delegate().encode(event);
        }

        @Override
        public byte[] footerBytes() {
            return null;
        }
    }

    /**
     * logback's SLF4J provider with this configuration applied directly, without logback's
     * auto-configuration (a service look-up of configurators, version checks, a status report, a
     * timing message whose string concatenation alone spins ~15 method-handle classes): ~25 ms of a
     * one-shot dump. Elsewhere (tests calling {@link Main#run} in their JVM) logback finds
     * {@link LogConfigurator} through its service file, with the same result.
     */
    public static final class Provider implements SLF4JServiceProvider {
        private final LoggerContext context = new LoggerContext();
        private final IMarkerFactory markers = new BasicMarkerFactory();
        private final LogbackMDCAdapter mdc = new LogbackMDCAdapter();

        @Override
        public void initialize() {
            context.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
            context.setMDCAdapter(mdc);
            LogConfigurator configurator = new LogConfigurator();
            configurator.setContext(context);
            configurator.configure(context);
            context.start();
        }

        @Override
        public ILoggerFactory getLoggerFactory() {
            return context;
        }

        @Override
        public IMarkerFactory getMarkerFactory() {
            return markers;
        }

        @Override
        public MDCAdapter getMDCAdapter() {
            return mdc;
        }

        @Override
        public String getRequestedApiVersion() {
            return LogbackServiceProvider.REQUESTED_API_VERSION;
        }
    }
}
