package io.daxfs.nativeio;

import java.io.IOException;

/**
 * A native mmap failed. {@link #mapSyncRefused()} tells the one failure callers act on: the kernel
 * does not support {@code MAP_SYNC} for this file, i.e. it is not persistent memory mapped with DAX.
 */
public final class NativeMapException extends IOException {
    /** The library's code for a refused MAP_SYNC (daxfs_native.c: DAXFS_ESYNC_REFUSED). */
    static final int SYNC_REFUSED = 100000;

    private final int error;

    NativeMapException(String message, int error) {
        super(message);
        this.error = error;
    }

    /** The positive errno, or the library's code for a refused MAP_SYNC. */
    public int error() {
        return error;
    }

    /** True when MAP_SYNC was asked and the kernel refused it for this file. */
    public boolean mapSyncRefused() {
        return error == SYNC_REFUSED;
    }
}
