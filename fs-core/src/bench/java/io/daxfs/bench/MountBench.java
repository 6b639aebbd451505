package io.daxfs.bench;

import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * Clean-mount cost of the background verification (issue #13): for images of N empty files in
 * one directory (cleanly unmounted, on /dev/shm), the time {@code DaxFileSystem.mount} takes, and
 * the time from the start of the mount until the first create-and-write has committed, which
 * waits for the verification of the saved free list; beside them, the mount of a crash image of
 * the same files (a copy taken while mounted: the full recovery scan, which the background
 * verification of a clean mount repeats). Median, min and max of the rounds.
 *
 * <p>{@code bin/bench mount [FILES,FILES...] [ROUNDS]}, default {@code 100000 5}. An image takes
 * about 8 KiB per file in /dev/shm and the crash copy as much again: for a million files set
 * {@code DAXFS_JAVA_OPTS=-Dbench.crash=false} unless 17 GiB of memory are free.
 */
public final class MountBench {
    /** Whether to time a crash copy too: it doubles the /dev/shm space (16 GiB for 1M files). */
    private static final boolean CRASH = Boolean.parseBoolean(System.getProperty("bench.crash", "true"));

    private MountBench() {}

    public static void main(String[] args) throws Exception {
        String[] counts = (args.length > 0 ? args[0] : "100000").split(",");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.printf(Locale.ROOT, "| files | clean mount (ms) median [min-max] | clean mount to first write "
                + "committed (ms) | crash mount, full scan (ms) |%n|---:|---:|---:|---:|%n");
        for (String count : counts) {
            int files = Integer.parseInt(count.trim());
            Path image = Path.of("/dev/shm", "daxfs-mountbench-" + ProcessHandle.current().pid() + ".img");
            try {
                build(image, files);
                double[] mount = new double[rounds];
                double[] firstWrite = new double[rounds];
                double[] crash = new double[rounds];
                Path copy = Path.of(image + ".crash");
                for (int r = 0; r < rounds; r++) {
                    try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults())) {
                        long start = System.nanoTime();
                        DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
                        mount[r] = (System.nanoTime() - start) / 1e6;
                        long ino = fs.create(fs.rootIno(), "probe" + r, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0)
                                .ino();
                        fs.write(ino, 0, MemorySegment.ofArray(new byte[4096]));
                        firstWrite[r] = (System.nanoTime() - start) / 1e6;
                        if (CRASH) {
                            Files.copy(image, copy, StandardCopyOption.REPLACE_EXISTING);
                        }
                        fs.close();
                    }
                    if (!CRASH) {
                        continue;
                    }
                    try (DaxDevice device = DaxDevice.open(copy, DeviceOptions.defaults())) {
                        long start = System.nanoTime();
                        DaxFileSystem recovered = DaxFileSystem.mount(device, MountOptions.defaults());
                        crash[r] = (System.nanoTime() - start) / 1e6;
                        recovered.close();
                    }
                    Files.deleteIfExists(copy);
                }
                System.out.printf(Locale.ROOT, "| %d | %s | %s | %s |%n", files, stats(mount), stats(firstWrite),
                        stats(crash));
            } finally {
                Files.deleteIfExists(image);
                Files.deleteIfExists(Path.of(image + ".crash"));
            }
        }
    }

    private static void build(Path image, int files) throws Exception {
        long size = (long) files * 2 * 4096 + (128L << 20);
        Files.deleteIfExists(image);
        try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults().withCreateSize(size))) {
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(files + 4096L));
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                long dir = fs.mkdir(fs.rootIno(), "many", FileKind.DIRECTORY.typeBits() | 0755, 0, 0).ino();
                for (int i = 0; i < files; i++) {
                    fs.create(dir, "file-" + i, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
                }
            }
        }
    }

    private static String stats(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.1f [%.1f-%.1f]", s[s.length / 2], s[0], s[s.length - 1]);
    }
}
