package io.daxfs.bench;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.nativeio.NativePmem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * fsync under {@code writeback=fsync} and {@code flush=cpu} ({@code bin/bench fsync}): it should
 * cost what is dirty, not what the file holds. Times fsync with 64 KiB dirty in files of 16 MiB,
 * 256 MiB and 4 GiB (the last sparse: 64 MiB written over the range), and with 64 KiB, 1 MiB and
 * 16 MiB dirty in one file; each next to the time of flushing every block of the file, the cost
 * fsync would have without dirty tracking. Every measurement re-dirties the range first (cached
 * in-place stores), then times fsync alone.
 */
public final class FsyncBench {
    private static final long KIB = 1L << 10;
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final int PAGE = 4096;
    private static final int REPEATS = Integer.getInteger("bench.repeats", 25);
    private static final int WARMUP = 10;
    private static final long DEVICE_SIZE = 768 * MIB;

    private final Random random = new Random(11);

    private FsyncBench() {}

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        long started = System.nanoTime();
        Path file = ShmImages.path("fsyncbench");
        try {
            new FsyncBench().run(file);
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.printf("%ntotal runtime %.0f s%n", (System.nanoTime() - started) / 1e9);
    }

    private void run(Path file) throws Exception {
        NativePmem pmem = NativePmem.instance().orElse(null);
        Files.deleteIfExists(file);
        try (DaxDevice device = DaxDevice.open(file,
                        DeviceOptions.defaults().withCreateSize(DEVICE_SIZE).withMode(PersistenceMode.CPU));
                Arena arena = Arena.ofConfined()) {
            System.out.printf("daxfs fsync benchmark: JDK %s, %s, %d cores, load average %s%n", Runtime.version(),
                    pmem == null ? "native library unavailable" : pmem.describe(),
                    Runtime.getRuntime().availableProcessors(), FsBench.loadAverage());
            System.out.println("device: " + device.describe() + "; writeback=fsync");
            System.out.println("each row: " + REPEATS + " times (after " + WARMUP + " untimed): overwrite the dirty "
                    + "range in place with cached stores, then time fsync alone; 'flush whole file' times "
                    + "device.flush over every block of the file + fence");
            System.out.println();
            if (device.mode() != PersistenceMode.CPU) {
                System.out.println("warning: flush=cpu unavailable, flushes cost nothing here");
            }
            DaxFileSystem.format(device, FormatOptions.defaults());
            MemorySegment chunk = arena.allocate(MIB, PAGE);
            byte[] noise = new byte[(int) MIB];
            random.nextBytes(noise);
            MemorySegment.copy(MemorySegment.ofArray(noise), 0, chunk, 0, MIB);
            MemorySegment dirty = arena.allocate(16 * MIB, PAGE);
            for (long off = 0; off < dirty.byteSize(); off += MIB) {
                MemorySegment.copy(chunk, 0, dirty, off, MIB);
            }

            try (DaxFileSystem fs = DaxFileSystem.mount(device,
                    MountOptions.defaults().withWriteback(MountOptions.Writeback.FSYNC))) {
                System.out.println("| file size | written | dirty | fsync median | fsync best | "
                        + "flush whole file, median | whole file / fsync |");
                System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
                long f16 = populate(fs, "f16m", 16 * MIB, 16 * MIB, chunk);
                long f256 = populate(fs, "f256m", 256 * MIB, 256 * MIB, chunk);
                long f4g = populate(fs, "f4g", 4 * GIB, 64 * MIB, chunk);
                row(fs, device, f16, 16 * MIB, MIB, "16 MiB", 64 * KIB, dirty);
                row(fs, device, f256, 256 * MIB, MIB, "256 MiB", 64 * KIB, dirty);
                row(fs, device, f4g, 4 * GIB, 64 * MIB, "64 MiB", 64 * KIB, dirty);
                row(fs, device, f256, 256 * MIB, MIB, "256 MiB", MIB, dirty);
                row(fs, device, f256, 256 * MIB, MIB, "256 MiB", 16 * MIB, dirty);
            }
        }
    }

    /**
     * Creates a file of {@code size} bytes with {@code written} of them written in 1 MiB chunks
     * spread evenly over it (all of it when equal), and fsyncs it so nothing is dirty.
     */
    private static long populate(DaxFileSystem fs, String name, long size, long written, MemorySegment chunk) {
        long ino = fs.create(fs.rootIno(), name, 0100644, 0, 0, 0).ino();
        long stride = size / (written / MIB);
        for (long off = 0; off < size; off += stride) {
            fs.write(ino, off, chunk);
        }
        fs.truncate(ino, size);
        fs.fsync(ino, false);
        return ino;
    }

    /**
     * Times fsync of {@code dirtyBytes} re-dirtied in the file {@code ino} of {@code fileSize},
     * whose data lies in 1 MiB chunks every {@code stride} bytes (contiguous when stride is 1 MiB).
     */
    private void row(DaxFileSystem fs, DaxDevice device, long ino, long fileSize, long stride, String written,
            long dirtyBytes, MemorySegment dirty) {
        Inode inode = fs.volume().inode(ino);
        FileExtents.Run[] runs = inode.extents().runs().toArray(FileExtents.Run[]::new);
        long[] fsync = new long[REPEATS];
        long[] whole = new long[REPEATS];
        MemorySegment src = dirty.asSlice(0, dirtyBytes);
        // Two separate loops, so that neither disturbs the caches the other one measures in.
        for (int i = -WARMUP; i < REPEATS; i++) {
            redirty(fs, ino, fileSize, stride, src);
            long start = System.nanoTime();
            fs.fsync(ino, false);
            long fsyncNs = System.nanoTime() - start;
            if (i >= 0) {
                fsync[i] = fsyncNs;
            }
        }
        // The O(size) alternative: write back every block of the file.
        for (int i = -WARMUP; i < REPEATS; i++) {
            redirty(fs, ino, fileSize, stride, src);
            long start = System.nanoTime();
            for (FileExtents.Run r : runs) {
                device.flush(Layout.offsetOf(r.block()), r.count() * PAGE);
            }
            device.fence();
            long wholeNs = System.nanoTime() - start;
            fs.fsync(ino, false);
            if (i >= 0) {
                whole[i] = wholeNs;
            }
        }
        Arrays.sort(fsync);
        Arrays.sort(whole);
        long fsyncMedian = fsync[REPEATS / 2];
        long wholeMedian = whole[REPEATS / 2];
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.0f× |%n", bytes(fileSize), written,
                bytes(dirtyBytes), micros(fsyncMedian), micros(fsync[0]), micros(wholeMedian),
                (double) wholeMedian / fsyncMedian);
    }

    /** Overwrites {@code src} in place at a random place inside written data: cached stores, marked dirty. */
    private void redirty(DaxFileSystem fs, long ino, long fileSize, long stride, MemorySegment src) {
        long dirtyBytes = src.byteSize();
        long offset = stride == MIB
                ? random.nextLong((fileSize - dirtyBytes) / dirtyBytes + 1) * dirtyBytes
                : random.nextLong(fileSize / stride) * stride + random.nextLong(MIB / dirtyBytes) * dirtyBytes;
        fs.write(ino, offset, src);
        if (fs.stats().dirtyBytes() != dirtyBytes) {
            throw new IllegalStateException("expected " + dirtyBytes + " dirty bytes, found " + fs.stats().dirtyBytes());
        }
    }

    private static String bytes(long n) {
        return n >= GIB ? n / GIB + " GiB" : n >= MIB ? n / MIB + " MiB" : n / KIB + " KiB";
    }

    private static String micros(long ns) {
        return ns >= 10_000_000 ? String.format(Locale.ROOT, "%.1f ms", ns / 1e6)
                : String.format(Locale.ROOT, "%.1f µs", ns / 1e3);
    }
}
