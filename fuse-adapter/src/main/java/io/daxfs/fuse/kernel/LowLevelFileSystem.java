package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * What the {@link Dispatcher} calls: the FUSE low-level operations, addressed by node id (as
 * libfuse's {@code fuse_lowlevel_ops}), names and symlink targets as raw bytes. Every method may
 * throw {@link FuseError} with an errno; the defaults answer ENOSYS, which for several requests
 * (FLUSH, LSEEK, COPY_FILE_RANGE...) tells the kernel to fall back to its own behaviour and stop
 * asking. Methods are called from several threads at once.
 */
public interface LowLevelFileSystem {
    /** Whether the filesystem clears set-user/group-ID on write, truncate and chown itself (HANDLE_KILLPRIV_V2). */
    default boolean handlesKillPriv() {
        return false;
    }

    /**
     * Whether the kernel should cache writes to files that are not direct I/O and send them later
     * (FUSE_WRITEBACK_CACHE): write() then returns before the data reaches the filesystem, and
     * fsync writes it back first.
     */
    default boolean wantsWritebackCache() {
        return false;
    }

    /**
     * The errno for an exception of the filesystem's own that is not a {@link FuseError}, or 0 when
     * it is unexpected (the dispatcher then logs it and answers EIO).
     */
    default int errnoOf(RuntimeException e) {
        return 0;
    }

    /** The connection is up; {@code flags} are the INIT flags agreed with the kernel. */
    default void init(long flags) {}

    /** The kernel ends the connection (unmount); no more requests follow. */
    default void destroy() {}

    default Entry lookup(Context c, long parent, byte[] name) {
        throw enosys();
    }

    /** The kernel drops {@code nlookup} of the lookups it counted for {@code node}. No reply. */
    default void forget(long node, long nlookup) {}

    /** {@code fh} is the open handle for fstat, or -1. */
    default Attr getattr(Context c, long node, long fh) {
        throw enosys();
    }

    default Attr setattr(Context c, long node, Requests.SetattrIn in) {
        throw enosys();
    }

    default byte[] readlink(Context c, long node) {
        throw enosys();
    }

    default Entry mknod(Context c, long parent, byte[] name, int mode, int rdev) {
        throw enosys();
    }

    default Entry mkdir(Context c, long parent, byte[] name, int mode) {
        throw enosys();
    }

    default Entry symlink(Context c, long parent, byte[] name, byte[] target) {
        throw enosys();
    }

    default void unlink(Context c, long parent, byte[] name) {
        throw enosys();
    }

    default void rmdir(Context c, long parent, byte[] name) {
        throw enosys();
    }

    /** rename and renameat2; {@code flags} are RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT (4). */
    default void rename(Context c, long parent, byte[] name, long newParent, byte[] newName, int flags) {
        throw enosys();
    }

    default Entry link(Context c, long node, long newParent, byte[] newName) {
        throw enosys();
    }

    default OpenReply open(Context c, long node, int flags) {
        throw enosys();
    }

    /** Creates and opens a regular file: the entry (one lookup) and the open handle. */
    default Created create(Context c, long parent, byte[] name, int mode, int flags) {
        throw enosys();
    }

    /** O_TMPFILE: an open regular file without a name in {@code parent} (one lookup, as create). */
    default Created tmpfile(Context c, long parent, int mode, int flags) {
        throw enosys();
    }

    default void read(Context c, long node, long fh, long offset, int size, ReadReply reply) {
        throw enosys();
    }

    /** {@code FUSE_WRITE_KILL_SUIDGID} in a WRITE's flags: the writer lacks CAP_FSETID (killpriv v2). */
    int WRITE_KILL_SUIDGID = 1 << 2;

    /** Returns the bytes written; {@code writeFlags} may hold {@link #WRITE_KILL_SUIDGID}. */
    default long write(Context c, long node, long fh, long offset, MemorySegment data, int writeFlags) {
        throw enosys();
    }

    default void release(Context c, long node, long fh) {}

    default void fsync(Context c, long node, long fh, boolean dataOnly) {
        throw enosys();
    }

    default OpenReply opendir(Context c, long node, int flags) {
        return new OpenReply(0, 0);
    }

    /** Fills {@code out} with the entries after {@code offset} (0 = from the start). */
    default void readdir(Context c, long node, long fh, long offset, DirectoryListing out) {
        throw enosys();
    }

    default void releasedir(Context c, long node, long fh) {}

    default void fsyncdir(Context c, long node, long fh, boolean dataOnly) {
        throw enosys();
    }

    default StatfsReply statfs(Context c, long node) {
        throw enosys();
    }

    default void access(Context c, long node, int mask) {
        throw enosys();
    }

    default void setxattr(Context c, long node, byte[] name, MemorySegment value, int flags) {
        throw enosys();
    }

    default byte[] getxattr(Context c, long node, byte[] name) {
        throw enosys();
    }

    /** The names, each followed by a NUL. */
    default byte[] listxattr(Context c, long node) {
        throw enosys();
    }

    default void removexattr(Context c, long node, byte[] name) {
        throw enosys();
    }

    default IoctlReply ioctl(Context c, long node, long fh, int cmd, MemorySegment in, int outSize) {
        throw new FuseError(FuseError.ENOTTY, "no ioctls");
    }

    default void fallocate(Context c, long node, long fh, long offset, long length, int mode) {
        throw enosys();
    }

    /** SEEK_DATA / SEEK_HOLE (the kernel handles SEEK_SET/CUR/END itself). */
    default long lseek(Context c, long node, long fh, long offset, int whence) {
        throw enosys();
    }

    default long copyFileRange(Context c, long nodeIn, long fhIn, long offIn, long nodeOut, long fhOut, long offOut,
            long len, int flags) {
        throw enosys();
    }

    /** What CREATE answers: the new file's entry and its open handle. */
    record Created(Entry entry, OpenReply open) {}

    private static FuseError enosys() {
        return new FuseError(FuseError.ENOSYS, "not implemented");
    }
}
