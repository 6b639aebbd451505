package io.daxfs.fuse;

import ch.qos.logback.classic.Level;
import io.daxfs.core.logging.ConsoleLogging;

/**
 * The daemon's logging: warnings and errors on stderr (the daemon's log file when it runs in the
 * background), one line each with time, level, thread and logger. bin/daxfs names it as SLF4J's
 * provider; a JVM started otherwise finds it as a Logback configurator (see {@link ConsoleLogging}).
 * {@code -d} turns on io.daxfs.fuse.requests (DEBUG) afterwards.
 */
public final class DaemonLogging extends ConsoleLogging {
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n";

    public DaemonLogging() {
        super(PATTERN, Level.WARN);
    }
}
