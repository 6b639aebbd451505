package io.daxfs.core.device;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device that holds a whole-file lock on its path while open ({@link DeviceOptions#lock}):
 * exclusive for read-write, shared for read-only, released on {@link #close}. POSIX locks belong
 * to the process and any close of any descriptor of the file drops them, so the lock is taken
 * after the mapping's own descriptors are closed, and the process must not open the device file
 * again while this device lives.
 */
final class LockedDevice extends ForwardingDevice {
    private static final Logger LOG = LoggerFactory.getLogger(LockedDevice.class);

    private final FileChannel channel;

    private LockedDevice(DaxDevice device, FileChannel channel) {
        super(device);
        this.channel = channel;
    }

    /** Locks {@code path} for {@code device}, or closes the device and throws if someone else holds it. */
    static DaxDevice lock(DaxDevice device, Path path, boolean readOnly) throws IOException {
        FileChannel channel = null;
        try {
            channel = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = DeviceUse.tryLock(channel, !readOnly);
            if (lock == null) {
                throw new DeviceBusyException(path + " is in use: another process holds its lock "
                        + "(a mounted daxfs, or a running mkfs.daxfs or fsck.daxfs)");
            }
            return new LockedDevice(device, channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            device.close();
            throw e;
        }
    }

    @Override
    public void close() {
        delegate.close();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("releasing the device lock: {}", e.getMessage());
        }
    }
}
