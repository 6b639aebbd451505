package io.daxfs.core.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.ErrorStatus;
import ch.qos.logback.core.status.StatusUtil;
import ch.qos.logback.core.util.StatusPrinter2;
import java.util.Objects;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The console logging of a daxfs command (the daemon, mkfs.daxfs, fsck.daxfs): Logback with one
 * pattern and level on stderr, set up in code. Each command has a subclass with its own pattern and
 * level, reached two ways that end in the same set-up:
 * <ul>
 *   <li>as SLF4J's provider: the launchers name the subclass with {@code -Dslf4j.provider}
 *       (bin/lib/common.sh), which spares the start-up SLF4J's and Logback's service lookups (each
 *       opens every jar on the class path) and Logback's XML parser (docs/BENCHMARKS.md, start-up);
 *   <li>as a Logback {@link Configurator} service (META-INF/services of the command's module), for
 *       a JVM started without the launcher (benchmarks, tests).
 * </ul>
 * A configuration file given with {@code -Dlogback.configurationFile} (bin/daxfs: DAXFS_LOGBACK),
 * or found by Logback as {@code logback-test.xml} on the class path, is left to Logback.
 */
public abstract class ConsoleLogging extends ContextAwareBase implements Configurator, SLF4JServiceProvider {
    private static final String CONFIGURATION_FILE = "logback.configurationFile";
    /** The SLF4J API version Logback 1.5 asks for (its own provider's). */
    private static final String API_VERSION = "2.0.99";

    private final String pattern;
    private final Level level;
    private LoggerContext loggerContext;
    private IMarkerFactory markerFactory;
    private MDCAdapter mdcAdapter;

    /** {@code pattern}: a Logback PatternLayout; {@code level}: the root logger's. */
    protected ConsoleLogging(String pattern, Level level) {
        this.pattern = Objects.requireNonNull(pattern, "pattern");
        this.level = Objects.requireNonNull(level, "level");
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(CONFIGURATION_FILE) != null
                || getClass().getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    @Override
    public void initialize() {
        LoggerContext context = new LoggerContext();
        context.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
        if (System.getProperty(CONFIGURATION_FILE) != null) {
            configureFromFile(context);
        } else {
            apply(context);
        }
        context.start();
        LogbackMDCAdapter mdc = new LogbackMDCAdapter();
        context.setMDCAdapter(mdc);
        loggerContext = context;
        markerFactory = new BasicMarkerFactory();
        mdcAdapter = mdc;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggerContext;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markerFactory;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdcAdapter;
    }

    @Override
    public String getRequestedApiVersion() {
        return API_VERSION;
    }

    /** Logback's own start-up, as its provider does it, for a configuration file the user named. */
    private static void configureFromFile(LoggerContext context) {
        try {
            new ContextInitializer(context).autoConfig();
        } catch (JoranException e) {
            context.getStatusManager().add(new ErrorStatus(
                    "failed to configure logging from " + System.getProperty(CONFIGURATION_FILE), context, e));
        }
        if (!StatusUtil.contextHasStatusListener(context)) {
            new StatusPrinter2().printInCaseOfErrorsOrWarnings(context);
        }
    }

    private void apply(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(stderr);
    }
}
