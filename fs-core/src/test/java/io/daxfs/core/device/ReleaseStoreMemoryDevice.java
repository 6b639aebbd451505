package io.daxfs.core.device;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A {@link MemoryDevice} whose {@link #storeRelease} works, for the recording tests.
 *
 * <p>Why it exists: {@link SegmentDevice#storeRelease} goes through a VarHandle of the unaligned
 * {@link Layouts#LONG}, and unaligned VarHandles do not support {@code setRelease}, so it throws
 * {@code UnsupportedOperationException} on every call. Once SegmentDevice uses an aligned layout,
 * delete this class and use {@link MemoryDevice#allocate} directly.
 */
final class ReleaseStoreMemoryDevice implements DaxDevice {
    private static final VarHandle ALIGNED_LONG =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final SegmentDevice device;

    ReleaseStoreMemoryDevice(long size) {
        this.device = MemoryDevice.allocate(size);
    }

    @Override
    public void storeRelease(long deviceOffset, long value) {
        if ((deviceOffset & 7) != 0) {
            throw new IllegalArgumentException("commit store not 8-byte aligned: " + deviceOffset);
        }
        ALIGNED_LONG.setRelease(device.mapWritable(deviceOffset, Long.BYTES), 0L, value);
    }

    @Override
    public long size() {
        return device.size();
    }

    @Override
    public PersistenceMode mode() {
        return device.mode();
    }

    @Override
    public MemorySegment directAccess(long offset, long length) {
        return device.directAccess(offset, length);
    }

    @Override
    public MemorySegment mapWritable(long offset, long length) {
        return device.mapWritable(offset, length);
    }

    @Override
    public void copyIn(MemorySegment src, long deviceOffset) {
        device.copyIn(src, deviceOffset);
    }

    @Override
    public void write(MemorySegment src, long deviceOffset) {
        device.write(src, deviceOffset);
    }

    @Override
    public void zero(long deviceOffset, long length) {
        device.zero(deviceOffset, length);
    }

    @Override
    public void flush(long deviceOffset, long length) {
        device.flush(deviceOffset, length);
    }

    @Override
    public void fence() {
        device.fence();
    }

    @Override
    public String describe() {
        return device.describe();
    }

    @Override
    public void close() {
        device.close();
    }
}
