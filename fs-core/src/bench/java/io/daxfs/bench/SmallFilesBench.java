package io.daxfs.bench;

import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.StatFs;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small files cost one block ({@code bin/bench smallfiles}, issue 11 point 3): fills a device of
 * {@code bench.smallSizeMiB} (default 6144) in /dev/shm with {@code bench.smallFiles} files of 4 KiB
 * (default 1,000,000) in 1000 directories, with the default inode count (one per 4 KiB block), and reports the blocks
 * used per file (data, log slots, directories' logs), then checks the image with fsck's checker
 * and remounts it. The image is deleted at the end.
 */
public final class SmallFilesBench {
    private static final int FILES = Integer.getInteger("bench.smallFiles", 1_000_000);
    private static final long SIZE_MIB = Long.getLong("bench.smallSizeMiB", 6144);
    private static final int DIRS = 1000;

    private SmallFilesBench() {}

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        Path image = ShmImages.path("smallfiles");
        long size = SIZE_MIB << 20;
        System.out.printf("%d files of 4 KiB in %d directories on a %d MiB device in /dev/shm, load %s%n", FILES, DIRS,
                SIZE_MIB, FsBench.loadAverage());
        try {
            try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults().withCreateSize(size))) {
                DaxFileSystem.format(device, FormatOptions.defaults());
                try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                    StatFs empty = fs.statfs();
                    long start = System.nanoTime();
                    long[] dirs = new long[DIRS];
                    for (int d = 0; d < DIRS; d++) {
                        dirs[d] = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
                    }
                    byte[] data = new byte[Layout.BLOCK_SIZE];
                    for (int i = 0; i < FILES; i++) {
                        data[0] = (byte) i;
                        long f = fs.create(dirs[i % DIRS], "f" + i, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
                        fs.write(f, 0, MemorySegment.ofArray(data));
                    }
                    double secs = (System.nanoTime() - start) / 1e9;
                    StatFs full = fs.statfs();
                    long used = empty.freeBlocks() - full.freeBlocks();
                    long dirBlocks = 0;
                    for (long d : dirs) {
                        dirBlocks += fs.volume().inode(d).log().ownedBlocks();
                    }
                    long packed = fs.volume().slots().packedPages();
                    System.out.printf("filled in %.1f s (%.0f files/s): %d blocks used = %d data + %d packed pages "
                            + "(%d slots) + %d directory log pages + %d other; %.4f blocks per file; %d blocks "
                            + "(%d MiB) left free%n", secs, FILES / secs, used, FILES, packed,
                            fs.volume().slots().slotsInUse(), dirBlocks, used - FILES - packed - dirBlocks,
                            (double) used / FILES, full.freeBlocks(), full.freeBlocks() * Layout.BLOCK_SIZE >> 20);
                }
                long start = System.nanoTime();
                CheckReport report = Checker.check(device);
                System.out.printf("fsck: %d problems, %.1f s%n", report.problems().size(),
                        (System.nanoTime() - start) / 1e9);
                try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                    System.out.printf("remounted: %d inodes in use%n", fs.statfs().totalInodes() - fs.statfs().freeInodes());
                }
            }
        } finally {
            Files.deleteIfExists(image);
        }
    }
}
