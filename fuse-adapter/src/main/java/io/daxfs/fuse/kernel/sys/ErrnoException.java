package io.daxfs.fuse.kernel.sys;

/** A failed system call of {@link Syscalls}, with its {@code errno}. */
public final class ErrnoException extends Exception {
    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + ": errno " + errno);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
