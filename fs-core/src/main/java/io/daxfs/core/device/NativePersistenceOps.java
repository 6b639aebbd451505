package io.daxfs.core.device;

import io.daxfs.nativeio.NativePmem;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * {@link PersistenceMode#CPU} on the native library: streaming-store copies and zeroing (durable
 * without a flush), {@code clwb}/{@code clflushopt}/{@code clflush} for ranges written with cached
 * stores, and {@code sfence}. {@link DeviceOpener} picks it for pmem and dax devices, and for
 * {@code flush=cpu} whenever {@link NativePmem} loaded.
 */
public final class NativePersistenceOps implements PersistenceOps {
    private final NativePmem pmem;

    public NativePersistenceOps(NativePmem pmem) {
        this.pmem = Objects.requireNonNull(pmem, "pmem");
    }

    @Override
    public PersistenceMode mode() {
        return PersistenceMode.CPU;
    }

    @Override
    public void copyFlushcache(MemorySegment src, MemorySegment dst) {
        if (src.isNative()) {
            pmem.copyNonTemporal(src, dst);
        } else {
            // A heap source has no address to hand to the library: a cached copy and a write-back of
            // its lines give the same guarantee (durable after the fence) at some cache pollution.
            MemorySegment.copy(src, 0, dst, 0, src.byteSize());
            pmem.flush(dst.asSlice(0, src.byteSize()));
        }
    }

    @Override
    public void zeroFlushcache(MemorySegment range) {
        pmem.zeroNonTemporal(range);
    }

    @Override
    public void flush(MemorySegment range) {
        pmem.flush(range);
    }

    @Override
    public void fence() {
        pmem.sfence();
    }

    @Override
    public String describe() {
        return pmem.describe();
    }
}
