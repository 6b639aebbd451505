package io.daxfs.mkfs;

import ch.qos.logback.classic.Level;
import io.daxfs.core.logging.ConsoleLogging;

/**
 * The logging of mkfs.daxfs and daxfs-info, which print their own results: only fs-core's warnings
 * and errors, on stderr. The launchers name it as SLF4J's provider (see {@link ConsoleLogging}).
 */
public final class MkfsLogging extends ConsoleLogging {
    public MkfsLogging() {
        super("%-5level %logger{20} - %msg%n", Level.WARN);
    }
}
