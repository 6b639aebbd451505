package io.daxfs.core;

/**
 * What {@code stat} shows of an inode, as of one moment.
 *
 * @param mode type bits and permissions
 * @param blocks 512-byte sectors allocated
 * @param flags inode flags ({@link #FLAG_DAX})
 */
public record Attributes(long ino, long generation, int mode, int nlink, int uid, int gid, long rdev,
        long size, long blocks, Timestamp atime, Timestamp mtime, Timestamp ctime, Timestamp btime, int flags) {

    /** The per-inode DAX flag (as {@code FS_XFLAG_DAX}). */
    public static final int FLAG_DAX = 1;

    public FileKind kind() {
        return FileKind.fromMode(mode);
    }

    public boolean isDirectory() {
        return kind() == FileKind.DIRECTORY;
    }
}
