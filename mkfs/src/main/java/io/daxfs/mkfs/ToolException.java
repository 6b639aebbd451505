package io.daxfs.mkfs;

/** A failure a command reports as one line on stderr and turns into its exit code. */
final class ToolException extends Exception {
    private final int exitCode;

    ToolException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
