package io.daxfs.core.dax;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.ForwardingDevice;
import java.util.ArrayList;
import java.util.List;

/** A device decorator that logs every flush range, so tests can say exactly what fsync flushed. */
final class FlushLoggingDevice extends ForwardingDevice {
    final List<long[]> flushes = new ArrayList<>();

    FlushLoggingDevice(DaxDevice device) {
        super(device);
    }

    @Override
    public synchronized void flush(long deviceOffset, long length) {
        flushes.add(new long[] {deviceOffset, length});
        delegate.flush(deviceOffset, length);
    }

    synchronized long flushedBytes() {
        return flushes.stream().mapToLong(f -> f[1]).sum();
    }
}
