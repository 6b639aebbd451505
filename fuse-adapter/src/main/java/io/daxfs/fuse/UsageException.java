package io.daxfs.fuse;

/** The command line is wrong: reported as one line and exit code 1, before anything is mounted. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message, null, false, false);
    }
}
