package io.daxfs.core.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A {@link DaxDevice} that passes every call to another one: the base of decorators that watch or
 * shape a few calls (mkfs's progress reporting, tests that log flushes or pause at a commit).
 */
public abstract class ForwardingDevice implements DaxDevice {
    protected final DaxDevice delegate;

    protected ForwardingDevice(DaxDevice delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public PersistenceMode mode() {
        return delegate.mode();
    }

    @Override
    public MemorySegment directAccess(long offset, long length) {
        return delegate.directAccess(offset, length);
    }

    @Override
    public long getLong(long offset) {
        return delegate.getLong(offset);
    }

    @Override
    public int getInt(long offset) {
        return delegate.getInt(offset);
    }

    @Override
    public MemorySegment mapWritable(long offset, long length, Arena owner) {
        return delegate.mapWritable(offset, length, owner);
    }

    @Override
    public void copyIn(MemorySegment src, long srcOffset, long length, long deviceOffset) {
        delegate.copyIn(src, srcOffset, length, deviceOffset);
    }

    @Override
    public void write(MemorySegment src, long srcOffset, long length, long deviceOffset) {
        delegate.write(src, srcOffset, length, deviceOffset);
    }

    @Override
    public void zero(long deviceOffset, long length) {
        delegate.zero(deviceOffset, length);
    }

    @Override
    public void storeRelease(long deviceOffset, long value) {
        delegate.storeRelease(deviceOffset, value);
    }

    @Override
    public void flush(long deviceOffset, long length) {
        delegate.flush(deviceOffset, length);
    }

    @Override
    public void fence() {
        delegate.fence();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
