package io.daxfs.fuse.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The attributes of a node as {@code struct fuse_attr} carries them (88 bytes), times in
 * nanoseconds since the epoch.
 */
public record Attr(long ino, long size, long blocks, long atimeNs, long mtimeNs, long ctimeNs, int mode, int nlink,
        int uid, int gid, int rdev, int blksize, int flags) {
    /** {@code sizeof(struct fuse_attr)}. */
    public static final int SIZE = 88;

    void writeTo(MemorySegment out, long at) {
        out.set(Wire.U64, at, ino);
        out.set(Wire.U64, at + 8, size);
        out.set(Wire.U64, at + 16, blocks);
        out.set(Wire.U64, at + 24, Math.floorDiv(atimeNs, 1_000_000_000L));
        out.set(Wire.U64, at + 32, Math.floorDiv(mtimeNs, 1_000_000_000L));
        out.set(Wire.U64, at + 40, Math.floorDiv(ctimeNs, 1_000_000_000L));
        out.set(Wire.U32, at + 48, (int) Math.floorMod(atimeNs, 1_000_000_000L));
        out.set(Wire.U32, at + 52, (int) Math.floorMod(mtimeNs, 1_000_000_000L));
        out.set(Wire.U32, at + 56, (int) Math.floorMod(ctimeNs, 1_000_000_000L));
        out.set(Wire.U32, at + 60, mode);
        out.set(Wire.U32, at + 64, nlink);
        out.set(Wire.U32, at + 68, uid);
        out.set(Wire.U32, at + 72, gid);
        out.set(Wire.U32, at + 76, rdev);
        out.set(Wire.U32, at + 80, blksize);
        out.set(Wire.U32, at + 84, flags);
    }
}
