package io.daxfs.core.device;

import io.daxfs.nativeio.NativePmem;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Persistence on the native library: streaming-store copies and zeroing (durable after the fence
 * without a flush), {@code clwb}/{@code clflushopt}/{@code clflush} for ranges written with cached
 * stores under {@link PersistenceMode#CPU}, and {@code sfence}. {@link DeviceOpener} picks it for
 * pmem and dax devices and for {@code flush=cpu}, and for {@code flush=none} too: streaming stores
 * copy large ranges faster than cached ones and leave the cache to the rest of the machine, and
 * there flushes cost nothing.
 */
public final class NativePersistenceOps implements PersistenceOps {
    private final NativePmem pmem;
    private final PersistenceMode mode;

    /** @param mode {@link PersistenceMode#CPU} (flush writes back lines) or {@link PersistenceMode#NONE} */
    public NativePersistenceOps(NativePmem pmem, PersistenceMode mode) {
        this.pmem = Objects.requireNonNull(pmem, "pmem");
        if (mode != PersistenceMode.CPU && mode != PersistenceMode.NONE) {
            throw new IllegalArgumentException("native persistence implements cpu and none, not " + mode);
        }
        this.mode = mode;
    }

    @Override
    public PersistenceMode mode() {
        return mode;
    }

    @Override
    public void copyFlushcache(MemorySegment src, MemorySegment dst) {
        if (src.isNative()) {
            pmem.copyNonTemporal(src, dst);
        } else {
            // A heap source has no address to hand to the library: a cached copy and a write-back of
            // its lines give the same guarantee (durable after the fence) at some cache pollution.
            MemorySegment.copy(src, 0, dst, 0, src.byteSize());
            flush(dst.asSlice(0, src.byteSize()));
        }
    }

    @Override
    public void zeroFlushcache(MemorySegment range) {
        pmem.zeroNonTemporal(range);
    }

    @Override
    public void flush(MemorySegment range) {
        if (mode == PersistenceMode.CPU) {
            pmem.flush(range);
        }
    }

    @Override
    public void fence() {
        pmem.sfence();
    }

    @Override
    public String describe() {
        return mode == PersistenceMode.CPU ? pmem.describe() : pmem.describe() + ", no flush";
    }
}
