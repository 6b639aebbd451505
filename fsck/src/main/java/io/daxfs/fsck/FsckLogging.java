package io.daxfs.fsck;

import ch.qos.logback.classic.Level;
import io.daxfs.core.logging.ConsoleLogging;

/**
 * The logging of fsck.daxfs, which talks to the user itself: the engine's log stays quiet unless
 * something is badly wrong (errors only, on stderr). The launcher names it as SLF4J's provider (see
 * {@link ConsoleLogging}).
 */
public final class FsckLogging extends ConsoleLogging {
    public FsckLogging() {
        super("fsck.daxfs: %msg%n", Level.ERROR);
    }
}
