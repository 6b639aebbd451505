package io.daxfs.fuse;

/**
 * A mount that cannot go ahead (bad device, bad mount point, device busy, libfuse refused): its
 * message is the one line the user sees, without a stack trace.
 */
final class MountException extends Exception {
    /** mount(8)'s code for "mount failure". */
    static final int MOUNT_FAILURE = 32;

    MountException(String message) {
        super(message, null, false, false);
    }
}
