package io.daxfs.bench;

import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Clean-mount cost of the background verification (issue #13): for images of N empty files in
 * one directory (cleanly unmounted, on /dev/shm), the time {@code DaxFileSystem.mount} takes, and
 * the time from the start of the mount until the first create-and-write has committed, which
 * waits for the verification of the saved free list; beside them, the mount of a crash image of
 * the same files (marked as a crash leaves it: the full recovery scan, which the background
 * verification of a clean mount repeats), each with the CPU time the process spent meanwhile (the
 * threads of the verification or the scan: what a machine with free cores would see as wall
 * time, divided by the cores). Median, min and max of the rounds.
 *
 * <p>{@code bin/bench mount [FILES,FILES...] [ROUNDS]}, default {@code 100000 5}. An image takes
 * about 4 KiB per file in /dev/shm; the crash mount runs on the same image, marked as a crash
 * leaves it (no copy). {@code -Dbench.crash=false} leaves the crash mount out.
 */
public final class MountBench {
    /** Whether to time the crash mount too. */
    private static final boolean CRASH = Boolean.parseBoolean(System.getProperty("bench.crash", "true"));

    private MountBench() {}

    public static void main(String[] args) throws Exception {
        String[] counts = (args.length > 0 ? args[0] : "100000").split(",");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.printf(Locale.ROOT, "load average at start: %.1f%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "| files | clean mount (ms) median [min-max] | clean mount to first write "
                + "committed (ms) | its process CPU (ms) | crash mount, full scan (ms) | its process CPU (ms) |%n"
                + "|---:|---:|---:|---:|---:|---:|%n");
        for (String count : counts) {
            int files = Integer.parseInt(count.trim());
            Path image = ShmImages.path("mountbench");
            try {
                build(image, files);
                double[] mount = new double[rounds];
                double[] firstWrite = new double[rounds];
                double[] crash = new double[rounds];
                double[] firstWriteCpu = new double[rounds];
                double[] crashCpu = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults())) {
                        long cpu = processCpuNs();
                        long start = System.nanoTime();
                        DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
                        mount[r] = (System.nanoTime() - start) / 1e6;
                        long ino = fs.create(fs.rootIno(), "probe" + r, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0)
                                .ino();
                        fs.write(ino, 0, MemorySegment.ofArray(new byte[4096]));
                        firstWrite[r] = (System.nanoTime() - start) / 1e6;
                        firstWriteCpu[r] = (processCpuNs() - cpu) / 1e6;
                        fs.close();
                    }
                    if (!CRASH) {
                        continue;
                    }
                    try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults())) {
                        markCrashed(device);
                        long cpu = processCpuNs();
                        long start = System.nanoTime();
                        DaxFileSystem recovered = DaxFileSystem.mount(device, MountOptions.defaults());
                        crash[r] = (System.nanoTime() - start) / 1e6;
                        crashCpu[r] = (processCpuNs() - cpu) / 1e6;
                        recovered.close();
                    }
                }
                System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", files, stats(mount),
                        stats(firstWrite), stats(firstWriteCpu), stats(crash), stats(crashCpu));
                System.out.printf(Locale.ROOT, "load average: %.1f%n",
                        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            } finally {
                Files.deleteIfExists(image);
            }
        }
    }

    /**
     * Leaves the image as a crash would (superblock dirty, no saved free list: what a mount writes
     * first), so the next mount runs the journal check and the full recovery scan, without a copy
     * of the image.
     */
    private static void markCrashed(DaxDevice device) {
        Superblock sb = Superblock.read(device);
        sb.withState(Superblock.State.DIRTY, Superblock.FreeList.NONE, System.nanoTime(), true).writeBoth(device);
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

    /** CPU time of the whole process (every verifying or scanning thread), from the JVM. */
    private static long processCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String stats(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.1f [%.1f-%.1f]", s[s.length / 2], s[0], s[s.length - 1]);
    }
}
