package io.daxfs.core.device;

import java.util.Objects;

/**
 * How to open a device.
 *
 * @param mode persistence mode; {@link PersistenceMode#AUTO} picks from the path
 * @param createSize if positive and the path does not exist, create a file of this many bytes
 * @param readOnly map the device read-only
 * @param lock hold a whole-device lock while open (exclusive, shared when read-only), so that a
 *     mounted device cannot be mounted, formatted or repaired by another process
 */
public record DeviceOptions(PersistenceMode mode, long createSize, boolean readOnly, boolean lock) {

    public DeviceOptions {
        Objects.requireNonNull(mode, "mode");
        if (createSize < 0) {
            throw new IllegalArgumentException("createSize must be >= 0: " + createSize);
        }
    }

    /** Read-write, existing device, persistence chosen from the path. */
    public static DeviceOptions defaults() {
        return new DeviceOptions(PersistenceMode.AUTO, 0, false, false);
    }

    public DeviceOptions withMode(PersistenceMode newMode) {
        return new DeviceOptions(newMode, createSize, readOnly, lock);
    }

    public DeviceOptions withCreateSize(long size) {
        return new DeviceOptions(mode, size, readOnly, lock);
    }

    public DeviceOptions withReadOnly(boolean ro) {
        return new DeviceOptions(mode, createSize, ro, lock);
    }

    public DeviceOptions withLock(boolean locked) {
        return new DeviceOptions(mode, createSize, readOnly, locked);
    }
}
