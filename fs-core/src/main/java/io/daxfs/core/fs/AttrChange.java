package io.daxfs.core.fs;


/**
 * The attributes one {@link DaxFileSystem#setattr} changes together, as FUSE's SETATTR carries
 * them: permission bits (chmod), owner (chown), size (truncate) and times (utimensat). A field
 * left as it is holds {@link #KEEP} (mode, uid, gid), false in {@code changesSize}, or
 * {@link DaxFileSystem#UTIME_OMIT} in its nanoseconds (times; {@link DaxFileSystem#UTIME_NOW} asks
 * for the current time). Built from {@link #NONE} with the {@code with} methods; values are checked
 * by setattr, after the inode (a negative size is EINVAL there, as truncate(2)).
 */
public record AttrChange(int mode, int uid, int gid, boolean changesSize, long size, long atimeSec, long atimeNsec,
        long mtimeSec, long mtimeNsec) {
    /** The value of mode, uid and gid that leaves the attribute as it is. */
    public static final int KEEP = -1;
    /** Changes nothing (setattr still sets ctime). */
    public static final AttrChange NONE =
            new AttrChange(KEEP, KEEP, KEEP, false, 0, 0, DaxFileSystem.UTIME_OMIT, 0, DaxFileSystem.UTIME_OMIT);

    /** Sets the permission bits (07777 of {@code bits}; the file type stays). */
    public AttrChange withMode(int bits) {
        return new AttrChange(bits & 07777, uid, gid, changesSize, size, atimeSec, atimeNsec, mtimeSec, mtimeNsec);
    }

    /** Sets the owner; {@link #KEEP} for either keeps that one, as chown(2) does with -1. */
    public AttrChange withOwner(int newUid, int newGid) {
        return new AttrChange(mode, newUid, newGid, changesSize, size, atimeSec, atimeNsec, mtimeSec, mtimeNsec);
    }

    /** Sets the size (a regular file's). */
    public AttrChange withSize(long newSize) {
        return new AttrChange(mode, uid, gid, true, newSize, atimeSec, atimeNsec, mtimeSec, mtimeNsec);
    }

    /** Sets atime and mtime as utimensat(2) does (nanoseconds or UTIME_NOW / UTIME_OMIT). */
    public AttrChange withTimes(long newAtimeSec, long newAtimeNsec, long newMtimeSec, long newMtimeNsec) {
        return new AttrChange(mode, uid, gid, changesSize, size, newAtimeSec, newAtimeNsec, newMtimeSec, newMtimeNsec);
    }

    public boolean changesMode() {
        return mode != KEEP;
    }

    /** chown(2) semantics: asking for an owner, even the same one, counts (it clears set-id bits). */
    public boolean changesOwner() {
        return uid != KEEP || gid != KEEP;
    }
}
