package io.daxfs.core.device;

import java.io.IOException;

/** The device is locked by another process: a mounted daxfs daemon, a running mkfs or fsck. */
public final class DeviceBusyException extends IOException {
    public DeviceBusyException(String message) {
        super(message);
    }
}
