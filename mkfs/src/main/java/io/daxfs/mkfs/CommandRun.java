package io.daxfs.mkfs;

import java.io.PrintStream;

/**
 * How mkfs.daxfs and daxfs-info turn one run into an exit status: a {@link ToolException} is one
 * line on stderr and its code, anything else an internal error (status 8), never a stack trace.
 */
final class CommandRun {
    /** Exit status of an internal error, as e2fsprogs. */
    static final int EXIT_INTERNAL = 8;

    /** The command's work; returns its exit status. */
    interface Body {
        int execute() throws ToolException;
    }

    private CommandRun() {}

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
