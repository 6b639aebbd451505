package io.daxfs.core.dax;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.PersistenceMode;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** A device decorator that logs every flush range, so tests can say exactly what fsync flushed. */
final class FlushLoggingDevice implements DaxDevice {
    private final DaxDevice device;
    final List<long[]> flushes = new ArrayList<>();

    FlushLoggingDevice(DaxDevice device) {
        this.device = device;
    }

    @Override public long size() { return device.size(); }
    @Override public PersistenceMode mode() { return device.mode(); }
    @Override public MemorySegment directAccess(long offset, long length) { return device.directAccess(offset, length); }
    @Override public MemorySegment mapWritable(long offset, long length) { return device.mapWritable(offset, length); }
    @Override public void copyIn(MemorySegment src, long deviceOffset) { device.copyIn(src, deviceOffset); }
    @Override public void write(MemorySegment src, long deviceOffset) { device.write(src, deviceOffset); }
    @Override public void zero(long deviceOffset, long length) { device.zero(deviceOffset, length); }
    @Override public void storeRelease(long deviceOffset, long value) { device.storeRelease(deviceOffset, value); }
    @Override public void fence() { device.fence(); }
    @Override public String describe() { return "flush log of " + device.describe(); }
    @Override public void close() { device.close(); }

    @Override
    public synchronized void flush(long deviceOffset, long length) {
        flushes.add(new long[] {deviceOffset, length});
        device.flush(deviceOffset, length);
    }

    synchronized long flushedBytes() {
        return flushes.stream().mapToLong(f -> f[1]).sum();
    }
}
