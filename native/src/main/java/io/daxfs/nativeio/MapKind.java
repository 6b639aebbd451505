package io.daxfs.nativeio;

/** How {@link NativePmem#map} maps a path; the flag values are shared with daxfs_native.c. */
public enum MapKind {
    /** A device-dax character device ({@code /dev/daxX.Y}): shared, placed on a 2 MiB boundary. */
    DEVICE_DAX(4),
    /**
     * {@code MAP_SHARED_VALIDATE|MAP_SYNC}: only a DAX file or pmem accepts it, so success means
     * the stores land in persistent memory without msync.
     */
    SYNC(2);

    final int flag;

    MapKind(int flag) {
        this.flag = flag;
    }
}
