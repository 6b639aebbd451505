package io.daxfs.core;

import java.util.Objects;

/**
 * How fs-core serves a mounted filesystem.
 *
 * @param readOnly refuse every change with EROFS and write nothing to the device
 * @param writeback when written data is flushed: at once, or at fsync
 * @param atime when reads update the access time
 * @param dirAtime whether listing a directory updates its access time (under the same policy), as
 *     Linux does unless {@code nodiratime}
 */
public record MountOptions(boolean readOnly, Writeback writeback, Atime atime, boolean dirAtime) {

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
    }

    public static MountOptions defaults() {
        return new MountOptions(false, Writeback.SYNC, Atime.RELATIME, true);
    }

    public MountOptions withReadOnly(boolean ro) {
        return new MountOptions(ro, writeback, atime, dirAtime);
    }

    public MountOptions withWriteback(Writeback wb) {
        return new MountOptions(readOnly, wb, atime, dirAtime);
    }

    public MountOptions withAtime(Atime a) {
        return new MountOptions(readOnly, writeback, a, dirAtime);
    }

    public MountOptions withDirAtime(boolean on) {
        return new MountOptions(readOnly, writeback, atime, on);
    }
}
