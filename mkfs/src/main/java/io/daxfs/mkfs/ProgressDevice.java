package io.daxfs.mkfs;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.PersistenceMode;
import java.lang.foreign.MemorySegment;

/**
 * A {@link DaxDevice} that passes everything through but cuts large {@link #zero} calls (the
 * inode table of a multi-GiB device) into chunks and reports them to a {@link Progress}, so mkfs
 * can show progress without fs-core knowing about it.
 */
final class ProgressDevice implements DaxDevice {
    private static final long CHUNK = 64L << 20;

    private final DaxDevice inner;
    private final Progress progress;

    ProgressDevice(DaxDevice inner, Progress progress) {
        this.inner = inner;
        this.progress = progress;
    }

    @Override
    public void zero(long deviceOffset, long length) {
        for (long done = 0; done < length; done += CHUNK) {
            long n = Math.min(CHUNK, length - done);
            inner.zero(deviceOffset + done, n);
            progress.advance(n);
        }
    }

    @Override public long size() { return inner.size(); }
    @Override public PersistenceMode mode() { return inner.mode(); }
    @Override public MemorySegment directAccess(long offset, long length) { return inner.directAccess(offset, length); }
    @Override public MemorySegment mapWritable(long offset, long length) { return inner.mapWritable(offset, length); }
    @Override public void copyIn(MemorySegment src, long deviceOffset) { inner.copyIn(src, deviceOffset); }
    @Override public void write(MemorySegment src, long deviceOffset) { inner.write(src, deviceOffset); }
    @Override public void storeRelease(long deviceOffset, long value) { inner.storeRelease(deviceOffset, value); }
    @Override public void flush(long deviceOffset, long length) { inner.flush(deviceOffset, length); }
    @Override public void fence() { inner.fence(); }
    @Override public String describe() { return inner.describe(); }
    @Override public void close() { inner.close(); }
}
