package io.daxfs.bench;

import io.daxfs.core.Attributes;
import io.daxfs.core.DirEntry;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A million files ({@code bin/bench million}, issue 11 point 4): creates {@code bench.millionFiles}
 * empty files (default 1,000,000) in {@code bench.millionDirs} directories (1000) on two threads,
 * then times the crash mount (the recovery scan, on every core; one round, as it repairs the copy, unless the image is kept),
 * the clean mount, fsck (the checker) and a walk that stats every file, and shows the Java heap the mounted filesystem holds
 * after the mount and after the walk (every inode loaded), then walks again with a small
 * {@code index_cache} bound ({@code bench.indexCacheMiB}, default 16) and shows the time and the heap
 * kept that way (inodes dropped and reloaded from their logs). Each timing is the best of
 * {@code bench.rounds} (2), with wall and process CPU time. The image (about 4 KiB per file) and its
 * crash copy live in /dev/shm and are deleted at the end; {@code -Dbench.millionCrash=false} skips
 * the crash copy and its mount (at 1M files two images may not fit beside the heap). The device
 * gets the default inode count ({@code bench.millionInodes} sets another) and a size for the files
 * ({@code bench.millionDeviceMiB} sets another). {@code -Dbench.millionImage=PATH} keeps the image
 * (and its crash copy, PATH.crash) and uses them again in later runs, so two builds can be timed on
 * the same image one after the other; {@code -Dbench.millionWalk=false} skips the walks.
 */
public final class MillionBench {
    private static final int FILES = Integer.getInteger("bench.millionFiles", 1_000_000);
    private static final int DIRS = Integer.getInteger("bench.millionDirs", 1000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final long BOUND = Long.getLong("bench.indexCacheMiB", 16) << 20;
    private static final boolean CRASH = Boolean.parseBoolean(System.getProperty("bench.millionCrash", "true"));
    private static final long INODES = Long.getLong("bench.millionInodes", 0);
    private static final String KEEP = System.getProperty("bench.millionImage", "");
    private static final boolean WALK = Boolean.parseBoolean(System.getProperty("bench.millionWalk", "true"));
    private static final long MIB = 1L << 20;
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private MillionBench() {}

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        boolean keep = !KEEP.isEmpty();
        // A kept image and its crash copy are named by the user, out of the reach of ShmImages' hook.
        Path image = keep ? Path.of(KEEP) : ShmImages.path("million");
        Path kept = keep ? Path.of(KEEP + ".crash") : ShmImages.path("million", "crash");
        Path crash = keep ? Path.of(KEEP + ".crash.copy") : kept;
        long size = Long.getLong("bench.millionDeviceMiB", ((long) FILES * 4096 * 11 / 10 + (long) DIRS * 8192) / MIB + 512)
                * MIB;
        List<String> rows = new ArrayList<>();
        System.out.printf("%d files in %d directories, %d MiB device in /dev/shm, %d cores, load %s%n", FILES, DIRS,
                size / MIB, Runtime.getRuntime().availableProcessors(), FsBench.loadAverage());
        System.out.println("(each round: wall, and CPU time of the whole process, JIT compiler threads included)");
        try {
            if (keep && Files.exists(image) && (!CRASH || Files.exists(kept))) {
                System.out.println("using the image made earlier: " + image);
            } else {
                try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults().withCreateSize(size))) {
                    DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(INODES));
                    DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
                    long[] times = populate(fs);
                    rows.add(row("create (2 threads)", times[0], times[1], FILES));
                    if (CRASH) {
                        Files.copy(image, kept, StandardCopyOption.REPLACE_EXISTING);
                    }
                    fs.close();
                }
            }
            if (CRASH) {
                // The first mount repairs the copy: a kept image gives a fresh copy to each round.
                double[] crashMount = best(keep ? ROUNDS : 1, () -> {
                    if (keep) {
                        Files.copy(kept, crash, StandardCopyOption.REPLACE_EXISTING);
                    }
                    try (DaxDevice copy = DaxDevice.open(crash, DeviceOptions.defaults())) {
                        DaxFileSystem[] fs = new DaxFileSystem[1];
                        long[] t = timed(() -> fs[0] = DaxFileSystem.mount(copy, MountOptions.defaults()));
                        fs[0].close();
                        return t;
                    }
                });
                rows.add(row("mount after a crash (recovery scan" + (keep ? "" : ", one round") + ")", crashMount[0],
                        crashMount[1], 0));
                Files.deleteIfExists(crash);
            }
            double[] cleanMount = best(() -> {
                try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults())) {
                    DaxFileSystem[] fs = new DaxFileSystem[1];
                    long[] t = timed(() -> fs[0] = DaxFileSystem.mount(device, MountOptions.defaults()));
                    fs[0].close();
                    return t;
                }
            });
            rows.add(row("mount, clean", cleanMount[0], cleanMount[1], 0));
            double[] fsck = best(() -> {
                try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults().withReadOnly(true))) {
                    CheckReport[] report = new CheckReport[1];
                    long[] t = timed(() -> report[0] = Checker.check(device));
                    if (!report[0].errors().isEmpty()) {
                        throw new IllegalStateException("fsck found errors: " + report[0].errors());
                    }
                    return t;
                }
            });
            rows.add(row("fsck (checker)", fsck[0], fsck[1], 0));
            if (WALK) {
                long before = heapUsed();
                long digest = walkUnbounded(image, before, rows);
                walkBounded(image, before, digest, rows);
            }
        } finally {
            Files.deleteIfExists(crash);
            if (!keep) {
                Files.deleteIfExists(image);
            }
        }
        System.out.println();
        System.out.println("| operation | wall | on-CPU (all threads) | rate |");
        System.out.println("|---|---:|---:|---:|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("load average at the end: " + FsBench.loadAverage());
    }

    /** Walks with every inode kept: the heap after the mount and with all loaded. */
    private static long walkUnbounded(Path image, long before, List<String> rows) throws Exception {
        try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults())) {
            DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withIndexCacheBytes(Long.MAX_VALUE));
            long mounted = heapUsed();
            long[] digest = new long[1];
            long[] walk = timed(() -> digest[0] = walk(fs));
            long walked = heapUsed();
            rows.add(row("walk: lookup + stat every file (no bound)", walk[0], walk[1], FILES));
            rows.add(String.format(Locale.ROOT, "| heap after clean mount | %.0f MiB | | |", (mounted - before) / (double) MIB));
            rows.add(String.format(Locale.ROOT, "| heap with every inode loaded (no bound) | %.0f MiB (%.0f bytes per file) | | |",
                    (walked - before) / (double) MIB, (walked - before) / (double) FILES));
            fs.close();
            return digest[0];
        }
    }

    /**
     * Walks twice with the index_cache bound: time, reloads and the heap kept; both walks must see
     * what the unbounded walk saw ({@code expected}).
     */
    private static void walkBounded(Path image, long before, long expected, List<String> rows) throws Exception {
        try (DaxDevice device = DaxDevice.open(image, DeviceOptions.defaults())) {
            DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withIndexCacheBytes(BOUND));
            long[] digest = new long[2];
            long[] walk = timed(() -> digest[0] = walk(fs));
            long[] again = timed(() -> digest[1] = walk(fs));
            if (digest[0] != expected || digest[1] != expected) {
                throw new IllegalStateException("a bounded walk saw another tree: " + Long.toHexString(expected) + " vs "
                        + Long.toHexString(digest[0]) + ", " + Long.toHexString(digest[1]));
            }
            rows.add("| the three walks (names, cookies, inode numbers, sizes, modes, times) | identical | | |");
            long walked = heapUsed();
            String bound = "index_cache=" + (BOUND / MIB) + "M";
            rows.add(row("walk: lookup + stat every file (" + bound + ")", walk[0], walk[1], FILES));
            rows.add(row("second walk (" + bound + ", " + fs.volume().inodeLoads() + " inode loads in both)",
                    again[0], again[1], FILES));
            rows.add(String.format(Locale.ROOT, "| heap after both walks (%s) | %.0f MiB (%.0f bytes per file) | | |",
                    bound, (walked - before) / (double) MIB, (walked - before) / (double) FILES));
            fs.close();
        }
    }

    @FunctionalInterface
    private interface Timed {
        long[] run() throws Exception;
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /** {wall ns, CPU ns of the whole process (every scanning thread)} of {@code body}. */
    private static long[] timed(Body body) throws Exception {
        long cpu = PROCESS.getProcessCpuTime();
        long start = System.nanoTime();
        body.run();
        return new long[] {System.nanoTime() - start, PROCESS.getProcessCpuTime() - cpu};
    }

    /** The best wall time of ROUNDS runs, with its CPU time. */
    private static double[] best(Timed timed) throws Exception {
        return best(ROUNDS, timed);
    }

    /** The best wall time of {@code rounds} runs, with its CPU time. */
    private static double[] best(int rounds, Timed timed) throws Exception {
        double[] best = {Double.MAX_VALUE, 0};
        for (int i = 0; i < rounds; i++) {
            long[] t = timed.run();
            System.out.printf(Locale.ROOT, "  round %d: %.0f ms, CPU %.0f ms%n", i + 1, t[0] / 1e6, t[1] / 1e6);
            if (t[0] < best[0]) {
                best = new double[] {t[0], t[1]};
            }
        }
        return best;
    }

    private static String row(String what, double wallNs, double cpuNs, long ops) {
        String rate = ops == 0 ? "" : String.format(Locale.ROOT, "%.0fk/s", ops / (wallNs / 1e9) / 1e3);
        return String.format(Locale.ROOT, "| %s | %.0f ms | %.0f ms | %s |", what, wallNs / 1e6, cpuNs / 1e6, rate);
    }

    /** Creates the directories and files on two threads; returns {wall ns, CPU ns of both}. */
    private static long[] populate(DaxFileSystem fs) throws Exception {
        long[] dirs = new long[DIRS];
        for (int d = 0; d < DIRS; d++) {
            dirs[d] = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            long start = System.nanoTime();
            List<Future<Long>> parts = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int half = t;
                parts.add(pool.submit(() -> {
                    long cpu = MX.getCurrentThreadCpuTime();
                    for (int i = half; i < FILES; i += 2) {
                        fs.create(dirs[i % DIRS], "f" + i, 0100644, 0, 0, 0);
                    }
                    return MX.getCurrentThreadCpuTime() - cpu;
                }));
            }
            long cpu = 0;
            for (Future<Long> f : parts) {
                cpu += f.get();
            }
            return new long[] {System.nanoTime() - start, cpu};
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Lists every directory and looks up and stats every file; returns a digest of what it saw
     * (names, cookies, inode numbers, sizes, modes, link counts and times).
     */
    private static long walk(DaxFileSystem fs) {
        long digest = 0;
        for (int d = 0; d < DIRS; d++) {
            long dir = fs.lookup(fs.rootIno(), "d" + d);
            long after = 0;
            for (List<DirEntry> batch; !(batch = fs.readdir(dir, after, 256)).isEmpty(); ) {
                for (DirEntry e : batch) {
                    after = e.cookie();
                    digest = mix(mix(mix(digest, e.name().hashCode()), e.cookie()), e.ino());
                }
            }
            for (int i = d; i < FILES; i += DIRS) {
                Attributes a = fs.getattr(fs.lookup(dir, "f" + i));
                digest = mix(mix(mix(mix(digest, a.ino()), a.size()), a.mode() * 31L + a.nlink()), a.mtime().hashCode());
            }
        }
        return digest;
    }

    private static long mix(long digest, long value) {
        return (Long.rotateLeft(digest, 7) ^ value) * 0x9E3779B97F4A7C15L;
    }

    private static long heapUsed() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
