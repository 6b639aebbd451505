package io.daxfs.fuse.kernel;

/**
 * A request failed with a Linux errno: what a {@link LowLevelFileSystem} throws, and what the
 * {@link Dispatcher} sends back to the kernel (negated) in the reply header.
 */
public final class FuseError extends RuntimeException {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EINVAL = 22;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int EPROTO = 71;
    public static final int EOPNOTSUPP = 95;
    public static final int ENOTTY = 25;

    private final int errno;

    public FuseError(int errno, String message) {
        super(message, null, false, false);
        if (errno <= 0 || errno > 4095) {
            throw new IllegalArgumentException("errno out of range: " + errno);
        }
        this.errno = errno;
    }

    /** The positive errno. */
    public int errno() {
        return errno;
    }
}
