package io.daxfs.core;

import java.util.Objects;
import java.util.Set;

/**
 * How fs-core serves a mounted filesystem.
 *
 * @param readOnly refuse every change with EROFS and write nothing to the device
 * @param writeback when written data is flushed: at once, or at fsync
 * @param atime when reads update the access time
 * @param dirAtime whether listing a directory updates its access time (under the same policy), as
 *     Linux does unless {@code nodiratime}
 * @param indexCacheBytes how much DRAM the indexes of inodes not in use may keep (the
 *     {@code index_cache=} option); beyond it the least recently used are dropped and loaded
 *     again from their logs on next use. Open, mapped, dirty and orphan inodes are not counted.
 * @param daxMode the {@code dax=} mode the FUSE adapter serves files with ({@code always},
 *     {@code never}, {@code inode}): fs-core only reports it, in {@code user.daxfs.stats}, since
 *     /proc/mounts cannot show it for a /dev/fuse mount
 */
public record MountOptions(boolean readOnly, Writeback writeback, Atime atime, boolean dirAtime,
        long indexCacheBytes, String daxMode) {

    /** The {@code writeback=} option. */
    public enum Writeback {
        /** Writes flush as they go (like the kernel's synchronous DAX I/O); fsync only fences. */
        SYNC,
        /** Writes store with cached writes and mark the range dirty; fsync flushes the dirty ranges. */
        FSYNC
    }

    /** Access-time policy, as the mount options of the same names. */
    public enum Atime {
        RELATIME, NOATIME, STRICTATIME
    }

    public MountOptions {
        Objects.requireNonNull(writeback, "writeback");
        Objects.requireNonNull(atime, "atime");
        if (!Set.of("always", "never", "inode").contains(daxMode)) {
            throw new IllegalArgumentException("dax mode " + daxMode);
        }
        if (indexCacheBytes < 0) {
            throw new IllegalArgumentException("index cache of " + indexCacheBytes + " bytes");
        }
    }

    /** The default {@link #indexCacheBytes}: a quarter of the largest Java heap. */
    public static long defaultIndexCacheBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    public static MountOptions defaults() {
        return new MountOptions(false, Writeback.SYNC, Atime.RELATIME, true, defaultIndexCacheBytes(), "inode");
    }

    public MountOptions withReadOnly(boolean ro) {
        return new MountOptions(ro, writeback, atime, dirAtime, indexCacheBytes, daxMode);
    }

    public MountOptions withWriteback(Writeback wb) {
        return new MountOptions(readOnly, wb, atime, dirAtime, indexCacheBytes, daxMode);
    }

    public MountOptions withAtime(Atime a) {
        return new MountOptions(readOnly, writeback, a, dirAtime, indexCacheBytes, daxMode);
    }

    public MountOptions withDirAtime(boolean on) {
        return new MountOptions(readOnly, writeback, atime, on, indexCacheBytes, daxMode);
    }

    public MountOptions withDaxMode(String mode) {
        return new MountOptions(readOnly, writeback, atime, dirAtime, indexCacheBytes, mode);
    }

    public MountOptions withIndexCacheBytes(long bytes) {
        return new MountOptions(readOnly, writeback, atime, dirAtime, bytes, daxMode);
    }
}
