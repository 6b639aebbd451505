package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The attributes of a node as {@code struct fuse_attr} carries them (88 bytes), times as seconds
 * since the epoch and nanoseconds.
 */
public record Attr(long ino, long size, long blocks, long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec,
        long ctimeSec, int ctimeNsec, int mode, int nlink, int uid, int gid, int rdev, int blksize, int flags) {
    /** {@code sizeof(struct fuse_attr)}. */
    public static final int SIZE = 88;

    void writeTo(MemorySegment out, long at) {
        out.set(Wire.U64, at, ino);
        out.set(Wire.U64, at + 8, size);
        out.set(Wire.U64, at + 16, blocks);
        out.set(Wire.U64, at + 24, atimeSec);
        out.set(Wire.U64, at + 32, mtimeSec);
        out.set(Wire.U64, at + 40, ctimeSec);
        out.set(Wire.U32, at + 48, atimeNsec);
        out.set(Wire.U32, at + 52, mtimeNsec);
        out.set(Wire.U32, at + 56, ctimeNsec);
        out.set(Wire.U32, at + 60, mode);
        out.set(Wire.U32, at + 64, nlink);
        out.set(Wire.U32, at + 68, uid);
        out.set(Wire.U32, at + 72, gid);
        out.set(Wire.U32, at + 76, rdev);
        out.set(Wire.U32, at + 80, blksize);
        out.set(Wire.U32, at + 84, flags);
    }
}
