package io.daxfs.mkfs;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.ForwardingDevice;

/**
 * A {@link DaxDevice} that passes everything through but cuts large {@link #zero} calls (the
 * inode table of a multi-GiB device) into chunks and reports them to a {@link Progress}, so mkfs
 * can show progress without fs-core knowing about it.
 */
final class ProgressDevice extends ForwardingDevice {
    private static final long CHUNK = 64L << 20;

    private final Progress progress;

    ProgressDevice(DaxDevice inner, Progress progress) {
        super(inner);
        this.progress = progress;
    }

    @Override
    public void zero(long deviceOffset, long length) {
        for (long done = 0; done < length; done += CHUNK) {
            long n = Math.min(CHUNK, length - done);
            delegate.zero(deviceOffset + done, n);
            progress.advance(n);
        }
    }
}
