package io.daxfs.core;

/**
 * An operation failed with an errno: the only way fs-core reports a user-visible error. Clients
 * (the FUSE adapter) turn it into {@code -errno}; its message is for logs.
 */
public final class FsException extends RuntimeException {
    private final Errno errno;

    public FsException(Errno errno, String message) {
        super(errno + ": " + message, null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
