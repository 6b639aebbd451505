package io.daxfs.mkfs;

import io.daxfs.core.format.DaxfsVersion;
import java.io.PrintStream;

/**
 * How mkfs.daxfs and daxfs-info turn one run into an exit status: a {@link ToolException} is one
 * line on stderr and its code, anything else an internal error (status 8), never a stack trace.
 */
final class CommandRun {
    /** Exit status of an internal error, as e2fsprogs. */
    static final int EXIT_INTERNAL = 8;
    /** Exit status of a usage error (and of most operational errors). */
    static final int EXIT_USAGE = 1;

    /** The command's work; returns its exit status. */
    interface Body {
        int execute() throws ToolException;
    }

    private CommandRun() {}

    /**
     * Parses {@code args} of command {@code name} by {@code spec} ({@link Options}); answers
     * {@code -h} with {@code usage} and {@code -V} with the version line on {@code out} and then
     * returns null: the command is done, status 0.
     *
     * @throws ToolException status 1 with a usage message for an unknown option or a missing argument
     */
    static Options parseOrAnswer(String name, String spec, String usage, String[] args, PrintStream out)
            throws ToolException {
        Options o;
        try {
            o = Options.parse(spec, args);
        } catch (IllegalArgumentException e) {
            throw usageError(name, e.getMessage());
        }
        if (o.has('h')) {
            out.print(usage);
            return null;
        }
        if (o.has('V')) {
            out.println(DaxfsVersion.line(name));
            return null;
        }
        return o;
    }

    /** A usage error of command {@code name}: {@code message} and where to read more, status 1. */
    static ToolException usageError(String name, String message) {
        return new ToolException(EXIT_USAGE, message + " (see " + name + " -h)");
    }

    /** Runs {@code body} for command {@code name}; returns the exit status. Never throws. */
    static int run(String name, PrintStream out, PrintStream err, Body body) {
        try {
            return body.execute();
        } catch (ToolException e) {
            err.println(name + ": " + e.getMessage());
            return e.exitCode();
        } catch (Throwable e) {
            err.println(name + ": internal error: " + e + " (please report this)");
            return EXIT_INTERNAL;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Ends a {@code main} with {@code code}. */
    static void exit(int code) {
        // Status 0 by returning: System.exit logs through System.Logger, whose look-up of a
        // LoggerFinder opens every jar on the class path (tens of ms at the end of every run).
        if (code != 0) {
            System.exit(code);
        }
    }
}
