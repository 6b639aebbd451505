package io.daxfs.bench;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.nativeio.NativePmem;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The fs-core engine's costs in one table ({@code bin/bench engine}), side by side for one and two
 * threads with {@code flush=none} and {@code flush=cpu}: 4 KiB and 1 MiB write and read throughput
 * next to the raw flushcache copy bandwidth of a device like it (the limit); create, stat and
 * unlink rates; and mount time, clean and after a crash, per GiB of data and per 100k files.
 * Each row carries its target from the engine issue and whether this run meets it. A second table
 * shows how two threads scale against one (issue 11 point 1): one and two threads (and the raw copy
 * beside 1 MiB writes) are measured interleaved round by round after a common warm-up that lasts
 * until the JIT has settled ({@link JitWatch}), so each ratio is taken per round; the table gives
 * median rates with min–max and the median (min–max) of the per-round ratios, on-CPU and wall.
 *
 * <p>Sizes can be changed with system properties (through {@code DAXFS_JAVA_OPTS}):
 * {@code bench.fileMiB} (per thread, default 256), {@code bench.files} (default 100000),
 * {@code bench.mountGiB} (default 1), {@code bench.batches} (data rounds, 7),
 * {@code bench.metadataRounds} (5), {@code bench.statPasses} (passes over the files per stat round,
 * 16), {@code bench.rounds} (mount repetitions, 2); {@code bench.only=metadata} measures the
 * create, stat and unlink rows alone, {@code bench.only=data} the data rows alone (no metadata, no mounts).
 */
public final class FsBench {
    private static final long MIB = 1L << 20;
    private static final int PAGE = 4096;
    private static final int CHUNK = 1 << 20;
    private static final int MODE_FILE = 0100644;
    private static final int MODE_DIR = 0755;

    private static final long FILE_SIZE = Long.getLong("bench.fileMiB", 256) * MIB;
    private static final int FILES = Integer.getInteger("bench.files", 100_000);
    private static final long MOUNT_DATA = Long.getLong("bench.mountGiB", 1) << 30;
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final int BATCHES = Integer.getInteger("bench.batches", 7);
    private static final int METADATA_ROUNDS = Integer.getInteger("bench.metadataRounds", 5);
    /** A pass of stat over 100k files takes 25-50 ms, so a few ms of a neighbour decided a round's ratio. */
    private static final int STAT_PASSES = Integer.getInteger("bench.statPasses", 16);
    /** Untimed metadata rounds at most, when the JIT does not settle ({@link JitWatch}). */
    private static final int MAX_UNTIMED_METADATA_ROUNDS = 8;
    private static final String ONLY = only(System.getProperty("bench.only", ""));
    private static final boolean METADATA_ONLY = ONLY.equals("metadata");
    private static final boolean DATA_ONLY = ONLY.equals("data");
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    /** What {@link #nsPerSpin} computed: stored so that its timed loops are not dead code. */
    private static long spinResult;
    /** Two files of FILE_SIZE, room for copy-on-write, and one 4 KiB log page per created file. */
    private static final long DATA_DEVICE = 2 * FILE_SIZE + 512 * MIB + (long) FILES * 2 * PAGE + 256 * MIB;
    private static final long INODES = FILES + 4096L;

    private static final PersistenceMode[] MODES = {PersistenceMode.NONE, PersistenceMode.CPU};
    private static final int[] THREADS = {1, 2};
    private static final int COLUMNS = MODES.length * THREADS.length;

    private final List<Path> files = new ArrayList<>();
    private final Parallel parallel = new Parallel(200_000_000, 300_000_000, BATCHES, THREADS[THREADS.length - 1]);
    /** Row name → one value per column (NaN where not measured). */
    private final Map<String, double[]> results = new LinkedHashMap<>();
    /** Row name → CPU nanoseconds per operation, per column. */
    private final Map<String, double[]> cpuResults = new LinkedHashMap<>();
    /** Row name → per column, the wall nanoseconds per operation of every batch or round. */
    private final Map<String, List<List<Double>>> wallSamples = new LinkedHashMap<>();
    /** Row name → per column, the CPU nanoseconds per operation of every batch or round. */
    private final Map<String, List<List<Double>>> cpuSamples = new LinkedHashMap<>();
    /** Row name → per column, the cores the rest of the JVM (GC, JIT) kept busy in every batch or round. */
    private final Map<String, List<List<Double>>> otherSamples = new LinkedHashMap<>();
    /** Row name → per column, the wall nanoseconds per operation less the threads' waits for a core. */
    private final Map<String, List<List<Double>>> unqueuedSamples = new LinkedHashMap<>();
    /** Row name → per column, the measured threads' page faults per operation in every batch or round. */
    private final Map<String, List<List<Double>>> faultSamples = new LinkedHashMap<>();
    /** Row name → per column, the bytes of heap the measured threads allocated per operation in every batch or round. */
    private final Map<String, List<List<Double>>> allocSamples = new LinkedHashMap<>();
    /** Row name → per column, the slowest thread's time over the fastest's in every batch or round. */
    private final Map<String, List<List<Double>>> imbalanceSamples = new LinkedHashMap<>();
    private final String[] deviceDescriptions = new String[MODES.length];
    /** Per flush mode, the milliseconds the JIT compiled during the timed rounds of the data rows. */
    private final long[] jitMillis = new long[MODES.length];
    /** Lines printed under the table. */
    private final List<String> notes = new ArrayList<>();

    private FsBench() {}

    /** The value of {@code bench.only}: empty (every row), {@code metadata} or {@code data}. */
    private static String only(String value) {
        if (!value.isEmpty() && !value.equals("metadata") && !value.equals("data")) {
            throw new IllegalArgumentException("bench.only=" + value + ": expected metadata or data");
        }
        return value;
    }

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        long started = System.nanoTime();
        FsBench bench = new FsBench();
        try {
            bench.run();
        } finally {
            bench.parallel.close();
            bench.deleteFiles();
        }
        System.out.printf("%ntotal runtime %.0f s%n", (System.nanoTime() - started) / 1e9);
    }

    private void run() throws Exception {
        NativePmem pmem = NativePmem.instance().orElse(null);
        System.out.printf("daxfs engine benchmark: JDK %s, %s, %d cores%n", Runtime.version(),
                pmem == null ? "native library unavailable (" + NativePmem.unavailableReason().orElse("?") + ")"
                        : pmem.describe(),
                Runtime.getRuntime().availableProcessors());
        System.out.printf("data: one %d MiB file per thread on a %d MiB /dev/shm device (writeback=sync, "
                        + "relatime); metadata: %d files in one directory (two threads: half each in two "
                        + "directories); mount: %d MiB in 1 MiB writes, and %d empty files%n",
                FILE_SIZE / MIB, DATA_DEVICE / MIB, FILES, MOUNT_DATA / MIB, FILES);
        System.out.println("throughput: " + BATCHES + " rounds after a warm-up, one timed batch of 1 and of 2 threads "
                + "each per round (and of the raw copy beside 1 MiB writes); metadata: " + METADATA_ROUNDS + " rounds "
                + "of 1 and 2 threads after untimed ones until the JIT settled, stat " + STAT_PASSES + " passes over the files per round"
                + (ONLY.isEmpty() ? "" : " (" + ONLY + " rows only)") + "; cells of the first table: best round; mount: best of "
                + ROUNDS + "; load average at start: " + loadAverage());
        System.out.println();
        for (PersistenceMode mode : MODES) {
            warmUp(mode);
        }
        for (int m = 0; m < MODES.length; m++) {
            long t0 = System.nanoTime();
            engine(m);
            if (ONLY.isEmpty()) {
                mounts(m);
            }
            System.err.printf("flush=%s done in %.0f s%n", MODES[m].optionName(), (System.nanoTime() - t0) / 1e9);
        }
        printTable();
    }

    private static int column(int mode, int threadIndex) {
        return mode * THREADS.length + threadIndex;
    }

    private void put(String row, int column, double value) {
        put(results, row, column, value);
    }

    private static void put(Map<String, double[]> map, String row, int column, double value) {
        map.computeIfAbsent(row, k -> {
            double[] v = new double[COLUMNS];
            Arrays.fill(v, Double.NaN);
            return v;
        })[column] = value;
    }

    /** One cell of the tables: a row at {@code THREADS[threadIndex]} threads, and its work. */
    private record Cell(String row, int threadIndex, Parallel.Work work) {}

    /** Measures {@code row}'s work on one and on two threads, interleaved. */
    private void oneAndTwo(int m, String row, Parallel.Work work) throws Exception {
        interleaved(m, new Cell(row, 0, work), new Cell(row, 1, work));
    }

    /** Measures {@code cells} of flush mode {@code m} interleaved round by round ({@link Parallel#interleaved}). */
    private void interleaved(int m, Cell... cells) throws Exception {
        List<Parallel.Cell> work = new ArrayList<>();
        for (Cell c : cells) {
            work.add(new Parallel.Cell(THREADS[c.threadIndex()], c.work()));
        }
        Parallel.Rounds rounds = parallel.interleaved(work);
        jitMillis[m] += rounds.jitMillis();
        for (int i = 0; i < cells.length; i++) {
            for (int r = 0; r < parallel.rounds(); r++) {
                sample(cells[i].row(), column(m, cells[i].threadIndex()), rounds.wall()[i][r], rounds.cpu()[i][r],
                        rounds.otherCores()[i][r], rounds.unqueued()[i][r], rounds.faults()[i][r],
                        rounds.alloc()[i][r], rounds.imbalance()[i][r]);
            }
        }
    }

    /**
     * Keeps one batch's or round's nanoseconds per operation, for the scaling table (in the order
     * they ran: the same index of two cells measured together is the same round), and the best;
     * {@code otherCores}: the cores the rest of the JVM kept busy meanwhile; {@code unqueuedNs}: the
     * wall time less the threads' waits for a core; {@code faults}: the threads' page faults per operation;
     * {@code allocBytes}: the heap the threads allocated per operation; {@code imbalance}: the
     * slowest thread's time over the fastest's.
     */
    private void sample(String row, int column, double wallNs, double cpuNs, double otherCores, double unqueuedNs,
            double faults, double allocBytes, double imbalance) {
        double[] bestWall = results.get(row);
        if (bestWall == null || Double.isNaN(bestWall[column]) || wallNs < bestWall[column]) {
            put(results, row, column, wallNs);
        }
        double[] bestCpu = cpuResults.get(row);
        if (bestCpu == null || Double.isNaN(bestCpu[column]) || cpuNs < bestCpu[column]) {
            put(cpuResults, row, column, cpuNs);
        }
        for (var map : List.of(wallSamples, cpuSamples, otherSamples, unqueuedSamples, faultSamples, allocSamples,
                imbalanceSamples)) {
            map.computeIfAbsent(row, k -> {
                List<List<Double>> columns = new ArrayList<>();
                for (int c = 0; c < COLUMNS; c++) {
                    columns.add(new ArrayList<>());
                }
                return columns;
            });
        }
        wallSamples.get(row).get(column).add(wallNs);
        cpuSamples.get(row).get(column).add(cpuNs);
        otherSamples.get(row).get(column).add(otherCores);
        unqueuedSamples.get(row).get(column).add(unqueuedNs);
        faultSamples.get(row).get(column).add(faults);
        allocSamples.get(row).get(column).add(allocBytes);
        imbalanceSamples.get(row).get(column).add(imbalance);
    }

    // ---- data and metadata on one device per persistence mode ----

    private void engine(int m) throws Exception {
        PersistenceMode mode = MODES[m];
        if (METADATA_ONLY) {
            metadataOnly(m);
            return;
        }
        try (DaxDevice device = open("data-" + mode.optionName(), DATA_DEVICE, mode);
                DaxDevice raw = open("raw-" + mode.optionName(), 2 * FILE_SIZE, mode);
                Arena arena0 = Arena.ofShared();
                Arena arena1 = Arena.ofShared()) {
            // Each thread's buffers in an arena of its own, as independent writers have: a downcall
            // acquires the scope of its segments, a compare-and-set on the arena's one counter.
            Arena[] arenas = {arena0, arena1};
            deviceDescriptions[m] = device.describe();
            MemorySegment[] src = new MemorySegment[2];
            MemorySegment[] dst = new MemorySegment[2];
            Random random = new Random(7);
            for (int t = 0; t < 2; t++) {
                byte[] noise = new byte[CHUNK];
                random.nextBytes(noise);
                src[t] = arenas[t].allocate(CHUNK, PAGE);
                MemorySegment.copy(MemorySegment.ofArray(noise), 0, src[t], 0, CHUNK);
                dst[t] = arenas[t].allocate(CHUNK, PAGE);
            }
            // Fault in every page of the new tmpfs files first: otherwise whatever touches a page first
            // (the raw copy, or the engine's copy-on-write into fresh blocks) pays the page fault.
            for (DaxDevice d : List.of(device, raw)) {
                d.zero(0, d.size());
                d.fence();
            }
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(INODES));
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                long[] ino = new long[2];
                for (int t = 0; t < 2; t++) {
                    ino[t] = fs.create(fs.rootIno(), "data" + t, MODE_FILE, 0, 0, 0).ino();
                    // Open, as every transport opens a file before it reads or writes it: an open
                    // inode is held resident, so its data operations do not mark it used in the cache.
                    fs.open(ino[t]);
                    for (long off = 0; off < FILE_SIZE; off += CHUNK) {
                        fs.write(ino[t], off, src[t]);
                    }
                }
                indexBytesPerPage("sequential", m, fs, ino[0]);
                dataRows(fs, raw, m, ino, src, dst);
                fragmentedRows(fs, m, ino[0], src[0]);
                for (long file : ino) {
                    fs.release(file);
                }
                if (!DATA_ONLY) {
                    metadataRows(fs, m);
                }
            }
        } finally {
            delete("data-" + mode.optionName());
            delete("raw-" + mode.optionName());
        }
    }

    /** The metadata rows alone, on a device with room for their files' logs. */
    private void metadataOnly(int m) throws Exception {
        PersistenceMode mode = MODES[m];
        String name = "meta-" + mode.optionName();
        try (DaxDevice device = open(name, (long) FILES * 2 * PAGE + 256 * MIB, mode)) {
            deviceDescriptions[m] = device.describe();
            device.zero(0, device.size());
            device.fence();
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(INODES));
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                metadataRows(fs, m);
            }
        } finally {
            delete(name);
        }
    }

    /**
     * Runs every operation for a while on a small device, untimed, so that the first measured mode
     * does not pay for the JIT compiling the engine (on 2 shared cores that would skew it).
     */
    private void warmUp(PersistenceMode mode) throws Exception {
        String name = "warmup-" + mode.optionName();
        long fileSize = 16 * MIB;
        try (DaxDevice device = open(name, 256 * MIB, mode); Arena arena = Arena.ofConfined()) {
            device.zero(0, device.size());
            DaxFileSystem.format(device, FormatOptions.defaults());
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                MemorySegment buffer = arena.allocate(CHUNK, PAGE).fill((byte) 1);
                MemorySegment page = buffer.asSlice(0, PAGE);
                long ino = fs.create(fs.rootIno(), "warm", MODE_FILE, 0, 0, 0).ino();
                fs.open(ino); // as the data rows' files
                long d = fs.mkdir(fs.rootIno(), "warm-dir", MODE_DIR, 0, 0).ino();
                long end = System.nanoTime() + 1_500_000_000L;
                Random random = new Random(1);
                for (int round = 0; System.nanoTime() < end; round++) {
                    for (long off = 0; off < fileSize; off += CHUNK) {
                        fs.write(ino, off, buffer);
                        fs.read(ino, off, buffer);
                    }
                    for (int i = 0; i < 4096; i++) {
                        long off = random.nextLong(fileSize / PAGE) * PAGE;
                        fs.write(ino, off, page);
                        fs.read(ino, off, page);
                    }
                    for (int i = 0; i < 1000; i++) {
                        fs.create(d, "w" + i, MODE_FILE, 0, 0, 0);
                    }
                    for (int i = 0; i < 1000; i++) {
                        fs.getattr(fs.lookup(d, "w" + i));
                        fs.unlink(d, "w" + i);
                    }
                }
            }
        } finally {
            delete(name);
        }
    }

    /**
     * The data rows, each on one and two threads interleaved; 1 MiB writes interleaved with the
     * limit they are judged against: the raw flushcache copy of 1 MiB chunks, cycling over each
     * thread's half of the (pre-faulted) device {@code raw}.
     */
    private void dataRows(DaxFileSystem fs, DaxDevice raw, int m, long[] ino, MemorySegment[] src,
            MemorySegment[] dst) throws Exception {
        long pages = FILE_SIZE / PAGE;
        long[] cursor = new long[2];
        long[] rawCursor = new long[2];
        long[] seed = {0x9E3779B97F4A7C15L, 0xD1B54A32D192ED03L};

        Parallel.Work rawCopy = (t, n) -> {
            long off = rawCursor[t];
            for (long k = 0; k < n; k++) {
                raw.copyIn(src[t], t * FILE_SIZE + off);
                off = (off + CHUNK) % FILE_SIZE;
            }
            rawCursor[t] = off;
        };
        Parallel.Work write1m = (t, n) -> {
            long off = cursor[t];
            for (long k = 0; k < n; k++) {
                fs.write(ino[t], off, src[t]);
                off = (off + CHUNK) % FILE_SIZE;
            }
            cursor[t] = off;
        };
        interleaved(m, new Cell("raw", 0, rawCopy), new Cell("w1m", 0, write1m), new Cell("raw", 1, rawCopy),
                new Cell("w1m", 1, write1m));
        oneAndTwo(m, "r1m", (t, n) -> {
            long off = cursor[t];
            for (long k = 0; k < n; k++) {
                fs.read(ino[t], off, dst[t]);
                off = (off + CHUNK) % FILE_SIZE;
            }
            cursor[t] = off;
        });
        oneAndTwo(m, "w4s", (t, n) -> {
            MemorySegment page = src[t].asSlice(0, PAGE);
            long off = cursor[t] / PAGE * PAGE;
            for (long k = 0; k < n; k++) {
                fs.write(ino[t], off, page);
                off = (off + PAGE) % FILE_SIZE;
            }
            cursor[t] = off;
        });
        // Random 4 KiB writes beside the raw copy of 4 KiB to random pages: how far the device's own
        // copy scales on this machine bounds how far a write, which includes that copy, can.
        long[] rawSeed = {0x9E3779B97F4A7C15L, 0xD1B54A32D192ED03L};
        Parallel.Work rawCopy4 = rawRandom4(raw, src, rawSeed, 0, false);
        Parallel.Work write4r = (t, n) -> {
            MemorySegment page = src[t].asSlice(0, PAGE);
            long x = seed[t];
            for (long k = 0; k < n; k++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                fs.write(ino[t], Long.remainderUnsigned(x, pages) * PAGE, page);
            }
            seed[t] = x;
        };
        interleaved(m, new Cell("raw4", 0, rawCopy4), new Cell("w4r", 0, write4r), new Cell("raw4", 1, rawCopy4),
                new Cell("w4r", 1, write4r));
        // The same copy followed by ALU work, which scales on any machine, for the rest of a write's
        // one-thread CPU time just measured: the best ratio a write that makes this copy could have here.
        double nsPerSpin = nsPerSpin();
        double restNs = medianOf(cpuSamples, "w4r", column(m, 0)) - medianOf(cpuSamples, "raw4", column(m, 0));
        long padIterations = Math.max(0, Math.round(restNs / nsPerSpin));
        notes.add(String.format(Locale.ROOT, "raw4w (flush=%s): each 4 KiB copy followed by %d ALU steps (%.0f ns), "
                + "a random write's one-thread CPU time less the raw copy's (medians)", MODES[m].optionName(),
                padIterations, padIterations * nsPerSpin));
        oneAndTwo(m, "raw4w", rawRandom4(raw, src, rawSeed, padIterations, false));
        oneAndTwo(m, "r4s", (t, n) -> {
            MemorySegment page = dst[t].asSlice(0, PAGE);
            long off = cursor[t] / PAGE * PAGE;
            for (long k = 0; k < n; k++) {
                fs.read(ino[t], off, page);
                off = (off + PAGE) % FILE_SIZE;
            }
            cursor[t] = off;
        });
        Parallel.Work read4r = (t, n) -> {
            MemorySegment page = dst[t].asSlice(0, PAGE);
            long x = seed[t];
            for (long k = 0; k < n; k++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                fs.read(ino[t], Long.remainderUnsigned(x, pages) * PAGE, page);
            }
            seed[t] = x;
        };
        // The read's controls, as the write's: the raw 4 KiB read from a random page of the thread's
        // half of the raw device, alone and followed by ALU work for the rest of a read's one-thread time.
        Parallel.Work rawRead4 = rawRandom4(raw, dst, rawSeed, 0, true);
        interleaved(m, new Cell("rawr4", 0, rawRead4), new Cell("r4r", 0, read4r), new Cell("rawr4", 1, rawRead4),
                new Cell("r4r", 1, read4r));
        long readPad = Math.max(0, Math.round((medianOf(cpuSamples, "r4r", column(m, 0))
                - medianOf(cpuSamples, "rawr4", column(m, 0))) / nsPerSpin));
        notes.add(String.format(Locale.ROOT, "rawr4w (flush=%s): each 4 KiB raw read followed by %d ALU steps (%.0f ns), "
                + "a random read's one-thread CPU time less the raw read's (medians)", MODES[m].optionName(), readPad,
                readPad * nsPerSpin));
        oneAndTwo(m, "rawr4w", rawRandom4(raw, dst, rawSeed, readPad, true));
    }

    /**
     * Thread t copies 4 KiB between {@code buffers[t]} and random pages of its half of {@code raw}
     * (to the device, or from it when {@code read}), each copy followed by {@code padSteps} of
     * {@link #spin}; {@code seed[t]} carries its random sequence.
     */
    private static Parallel.Work rawRandom4(DaxDevice raw, MemorySegment[] buffers, long[] seed, long padSteps,
            boolean read) {
        long pages = FILE_SIZE / PAGE;
        return (t, n) -> {
            long x = seed[t];
            for (long k = 0; k < n; k++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                long at = t * FILE_SIZE + Long.remainderUnsigned(x, pages) * PAGE;
                if (read) {
                    MemorySegment.copy(raw.directAccess(at, PAGE), 0, buffers[t], 0, PAGE);
                } else {
                    raw.copyIn(buffers[t], 0, PAGE, at);
                }
                x = spin(x, padSteps);
            }
            seed[t] = x;
        };
    }

    /** The median of one cell's values over its rounds. */
    private static double medianOf(Map<String, List<List<Double>>> samples, String row, int col) {
        double[] sorted = samples(samples, row, col);
        Arrays.sort(sorted);
        return median(sorted);
    }

    /** Nanoseconds per step of {@link #spin} on this thread, from a timed run of 20M. */
    private static double nsPerSpin() {
        long steps = 20_000_000;
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            spinResult += spin(i + 1, steps); // kept, so the JIT cannot drop the loop
            best = Math.min(best, (double) (System.nanoTime() - t0) / steps);
        }
        return best;
    }

    /** A chain of xorshift steps: work that touches no memory, so it scales with the cores. */
    private static long spin(long x, long steps) {
        for (long i = 0; i < steps; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }

    /**
     * Rewrites every page of the file once in a random order, so that no two neighbouring pages
     * lie in neighbouring blocks (the worst case of the extent index), then measures random 4 KiB
     * overwrites on one thread.
     */
    private void fragmentedRows(DaxFileSystem fs, int m, long ino, MemorySegment src) throws Exception {
        long pages = FILE_SIZE / PAGE;
        int[] order = new int[(int) pages];
        Random random = new Random(11);
        for (int i = 0; i < order.length; i++) {
            int j = random.nextInt(i + 1);
            order[i] = order[j];
            order[j] = i;
        }
        MemorySegment page = src.asSlice(0, PAGE);
        for (int p : order) {
            fs.write(ino, (long) p * PAGE, page);
        }
        indexBytesPerPage("fragmented", m, fs, ino);
        long[] seed = {0x2545F4914F6CDD1DL};
        interleaved(m, new Cell("w4f", 0, (t, n) -> {
            long x = seed[0];
            for (long k = 0; k < n; k++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                fs.write(ino, Long.remainderUnsigned(x, pages) * PAGE, page);
            }
            seed[0] = x;
        }));
    }

    /** Notes the DRAM the file's extent index takes per mapped page. */
    private void indexBytesPerPage(String what, int m, DaxFileSystem fs, long ino) {
        var extents = fs.volume().inode(ino).extents();
        notes.add(String.format(Locale.ROOT, "extent index of the %d MiB file, %s (flush=%s): %.3f bytes per mapped page",
                FILE_SIZE / MIB, what, MODES[m].optionName(), (double) extents.memoryBytes() / extents.mappedPages()));
    }

    /**
     * Create, stat and unlink of {@code FILES} empty files: one thread in one directory, two threads
     * half each in a directory of its own; stat looks every file up {@code STAT_PASSES} times per
     * round, so a round lasts long enough (300 ms or more) that a neighbour's hiccup of a few ms
     * does not decide its ratio; rounds of one and two threads alternate (which goes
     * first alternates too), after one untimed round of each.
     */
    private void metadataRows(DaxFileSystem fs, int m) throws Exception {
        long[][] dirs = new long[THREADS.length][];
        String[][] names = new String[THREADS.length][];
        for (int ti = 0; ti < THREADS.length; ti++) {
            // Each directory made by the worker that fills it, as independent writers would.
            long[] made = new long[THREADS[ti]];
            String prefix = "meta-" + m + "-" + ti + "-";
            parallel.time(THREADS[ti], (t, n) -> made[t] = fs.mkdir(fs.rootIno(), prefix + t, MODE_DIR, 0, 0).ino(), 1,
                    new long[Parallel.TIMES]);
            dirs[ti] = made;
            names[ti] = new String[FILES / THREADS[ti]];
            for (int i = 0; i < names[ti].length; i++) {
                names[ti][i] = "file-" + i;
            }
        }
        int untimed = 0;
        JitWatch jit;
        do {
            jit = new JitWatch();
            metadataRounds(fs, m, dirs, names, -1, false);
            untimed++;
        } while (!jit.quiet() && untimed < MAX_UNTIMED_METADATA_ROUNDS);
        JitWatch timedJit = new JitWatch();
        for (int round = 0; round < METADATA_ROUNDS; round++) {
            metadataRounds(fs, m, dirs, names, round, true);
        }
        notes.add(String.format(Locale.ROOT, "metadata rows (flush=%s): %d untimed round(s) until the JIT settled; "
                + "it compiled for %d ms during the %d timed rounds", MODES[m].optionName(), untimed,
                timedJit.compiled(), METADATA_ROUNDS));
    }

    /** One round at each thread count, in an order that rotates with {@code round}. */
    private void metadataRounds(DaxFileSystem fs, int m, long[][] dirs, String[][] names, int round, boolean timed)
            throws Exception {
        for (int k = 0; k < THREADS.length; k++) {
            int ti = Math.floorMod(k + round, THREADS.length);
            metadataRound(fs, column(m, ti), dirs[ti], names[ti], timed);
        }
    }

    /** One round of create-all, stat-all, unlink-all, a thread per directory; kept if {@code timed}. */
    private void metadataRound(DaxFileSystem fs, int col, long[] dirs, String[] names, boolean timed) throws Exception {
        int threads = dirs.length;
        long ops = (long) names.length * threads;
        timeOnce("create", col, threads, ops, timed, t -> {
            for (String name : names) {
                fs.create(dirs[t], name, MODE_FILE, 0, 0, 0);
            }
        });
        timeOnce("stat", col, threads, ops * STAT_PASSES, timed, t -> {
            for (int pass = 0; pass < STAT_PASSES; pass++) {
                for (String name : names) {
                    fs.getattr(fs.lookup(dirs[t], name));
                }
            }
        });
        timeOnce("unlink", col, threads, ops, timed, t -> {
            for (String name : names) {
                fs.unlink(dirs[t], name);
            }
        });
    }

    /** Runs {@code work} once on {@code threads} threads at once; keeps its times per operation if {@code timed}. */
    private void timeOnce(String row, int col, int threads, long ops, boolean timed, PerThread work) throws Exception {
        long[] cpu = new long[Parallel.TIMES];
        long nanos = parallel.time(threads, (t, n) -> work.run(t), 1, cpu);
        if (timed) {
            sample(row, col, (double) nanos / ops, (double) cpu[0] / ops, (double) (cpu[1] - cpu[0]) / nanos,
                    (double) cpu[2] / ops, (double) cpu[3] / ops, (double) cpu[4] / ops, cpu[5] / 1000.0);
        }
    }

    @FunctionalInterface
    private interface PerThread {
        void run(int thread) throws Exception;
    }

    /** /proc/loadavg's first three fields (how busy the shared machine was), or "?". */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    // ---- mount times ----

    private void mounts(int m) throws Exception {
        PersistenceMode mode = MODES[m];
        int col = column(m, 0);
        // 1 GiB of data in files of 256 MiB written in 1 MiB chunks.
        String dataImage = "mount-data-" + mode.optionName();
        long dataDevice = MOUNT_DATA + MOUNT_DATA / 4 + 64 * MIB;
        double[] times = mountImage(dataImage, dataDevice, mode, fs -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment chunk = arena.allocate(CHUNK, PAGE).fill((byte) 0x5a);
                long perFile = 256 * MIB;
                for (int f = 0; f * perFile < MOUNT_DATA; f++) {
                    long ino = fs.create(fs.rootIno(), "big" + f, MODE_FILE, 0, 0, 0).ino();
                    for (long off = 0; off < Math.min(perFile, MOUNT_DATA - f * perFile); off += CHUNK) {
                        fs.write(ino, off, chunk);
                    }
                }
            }
        });
        double perGiB = (double) (1L << 30) / MOUNT_DATA;
        put("mount-clean-gib", col, times[0] * perGiB);
        put("mount-crash-gib", col, times[1] * perGiB);
        // FILES empty files in one directory.
        String filesImage = "mount-files-" + mode.optionName();
        long filesDevice = (long) FILES * 2 * PAGE + 128 * MIB;
        times = mountImage(filesImage, filesDevice, mode, fs -> {
            long d = fs.mkdir(fs.rootIno(), "many", MODE_DIR, 0, 0).ino();
            for (int i = 0; i < FILES; i++) {
                fs.create(d, "file-" + i, MODE_FILE, 0, 0, 0);
            }
        });
        double per100k = 100_000.0 / FILES;
        put("mount-clean-files", col, times[0] * per100k);
        put("mount-crash-files", col, times[1] * per100k);
    }

    @FunctionalInterface
    private interface Populate {
        void run(DaxFileSystem fs) throws Exception;
    }

    /**
     * Formats an image, populates it, and returns the best {clean, crash} mount times in ns. The
     * crash images are copies of the device file taken while the filesystem is still mounted: what
     * is left after a power cut (every store has reached the tmpfs pages).
     */
    private double[] mountImage(String name, long size, PersistenceMode mode, Populate populate) throws Exception {
        String crashName = name + "-crash";
        double clean = Double.MAX_VALUE;
        double crash = Double.MAX_VALUE;
        try {
            try (DaxDevice device = open(name, size, mode)) {
                DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(INODES));
                DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
                populate.run(fs);
                for (int round = 0; round < ROUNDS; round++) {
                    Files.copy(path(name), path(crashName), StandardCopyOption.REPLACE_EXISTING);
                    try (DaxDevice copy = DaxDevice.open(path(crashName), DeviceOptions.defaults().withMode(mode))) {
                        long start = System.nanoTime();
                        DaxFileSystem recovered = DaxFileSystem.mount(copy, MountOptions.defaults());
                        crash = Math.min(crash, System.nanoTime() - start);
                        recovered.close();
                    }
                    delete(crashName);
                }
                fs.close();
            }
            for (int round = 0; round < ROUNDS; round++) {
                try (DaxDevice device = DaxDevice.open(path(name), DeviceOptions.defaults().withMode(mode))) {
                    long start = System.nanoTime();
                    DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
                    clean = Math.min(clean, System.nanoTime() - start);
                    fs.close();
                }
            }
        } finally {
            delete(crashName);
            delete(name);
        }
        return new double[] {clean, crash};
    }

    // ---- the table ----

    private record Row(String key, String label, Kind kind, long bytes, String target, double goal) {}

    private enum Kind { BANDWIDTH, RATIO, RATE, MILLIS }

    private void printTable() {
        List<Row> rows = List.of(
                new Row("raw", "raw copyIn 1 MiB (device limit)", Kind.BANDWIDTH, CHUNK, "", 0),
                new Row("w1m", "write 1 MiB sequential", Kind.BANDWIDTH, CHUNK, "", 0),
                new Row("w1m", "  = share of raw copy", Kind.RATIO, CHUNK, ">= 70% of raw", 0.70),
                new Row("r1m", "read 1 MiB sequential", Kind.BANDWIDTH, CHUNK, "", 0),
                new Row("r1m", "  = share of raw copy", Kind.RATIO, CHUNK, "", 0),
                new Row("w4s", "write 4 KiB sequential", Kind.BANDWIDTH, PAGE, ">= 250k/s (1T)", 250_000),
                new Row("raw4", "raw copyIn 4 KiB random (device limit)", Kind.BANDWIDTH, PAGE, "", 0),
                new Row("w4r", "write 4 KiB random", Kind.BANDWIDTH, PAGE, ">= 250k/s (1T)", 250_000),
                new Row("w4f", "write 4 KiB random, fully fragmented file", Kind.BANDWIDTH, PAGE, "", 0),
                new Row("r4s", "read 4 KiB sequential", Kind.BANDWIDTH, PAGE, ">= 250k/s (1T)", 250_000),
                new Row("r4r", "read 4 KiB random", Kind.BANDWIDTH, PAGE, ">= 250k/s (1T)", 250_000),
                new Row("create", "create (empty file)", Kind.RATE, 0, ">= 100k/s (1T)", 100_000),
                new Row("stat", "stat (lookup + getattr)", Kind.RATE, 0, "", 0),
                new Row("unlink", "unlink", Kind.RATE, 0, "", 0),
                new Row("mount-clean-gib", "mount, clean, per GiB of data", Kind.MILLIS, 0, "", 0),
                new Row("mount-crash-gib", "mount, crash recovery, per GiB of data", Kind.MILLIS, 0, "", 0),
                new Row("mount-clean-files", "mount, clean, per 100k files", Kind.MILLIS, 0, "", 0),
                new Row("mount-crash-files", "mount, crash recovery, per 100k files", Kind.MILLIS, 0, "", 0));
        StringBuilder head = new StringBuilder("| operation |");
        StringBuilder rule = new StringBuilder("|---|");
        for (PersistenceMode mode : MODES) {
            for (int threads : THREADS) {
                head.append(" flush=").append(mode.optionName()).append(", ").append(threads)
                        .append(threads == 1 ? " thread |" : " threads |");
                rule.append("---:|");
            }
        }
        head.append(" target | met (wall; on-CPU) |");
        rule.append("---|---|");
        System.out.println(head);
        System.out.println(rule);
        for (Row row : rows) {
            double[] v = results.get(row.key());
            double[] c = cpuResults.get(row.key());
            StringBuilder line = new StringBuilder("| ").append(row.label()).append(" |");
            List<String> missed = new ArrayList<>();
            List<String> missedOnCpu = new ArrayList<>();
            boolean judged = false;
            for (int col = 0; col < COLUMNS; col++) {
                double x = v == null ? Double.NaN : v[col];
                if (Double.isNaN(x)) {
                    line.append(" — |");
                    continue;
                }
                boolean applies = row.goal() > 0 && (row.kind() == Kind.RATIO || THREADS[col % THREADS.length] == 1);
                double score = score(row, "raw", results, col);
                String cell = switch (row.kind()) {
                    case BANDWIDTH -> String.format(Locale.ROOT, "%.0f MiB/s, %s/s", score * row.bytes() / MIB,
                            count(score));
                    case RATIO -> String.format(Locale.ROOT, "%.0f%%", score * 100);
                    case RATE -> count(score) + "/s";
                    case MILLIS -> String.format(Locale.ROOT, "%.1f ms", x / 1e6);
                };
                line.append(' ').append(cell);
                if (applies) {
                    judged = true;
                    double onCpu = score(row, "raw", cpuResults, col);
                    line.append(" (on-CPU ").append(row.kind() == Kind.RATIO
                            ? String.format(Locale.ROOT, "%.0f%%", onCpu * 100) : count(onCpu) + "/s").append(')');
                    String name = MODES[col / THREADS.length].optionName() + " " + THREADS[col % THREADS.length] + "T";
                    if (score < row.goal()) {
                        missed.add(name);
                    }
                    if (onCpu < row.goal()) {
                        missedOnCpu.add(name);
                    }
                } else if ((row.kind() == Kind.BANDWIDTH || row.kind() == Kind.RATE) && cpuResults.containsKey(row.key())) {
                    // What the threads would do with a core each: CPU time per operation, times the threads.
                    double onCpu = score(row, "raw", cpuResults, col) * THREADS[col % THREADS.length];
                    line.append(" (on-CPU ").append(count(onCpu)).append("/s)");
                }
                line.append(" |");
            }
            String met = "";
            if (judged) {
                met = missed.isEmpty() ? "yes" : "**no** (" + String.join(", ", missed) + ")";
                met += "; on-CPU: " + (missedOnCpu.isEmpty() ? "yes" : "**no** (" + String.join(", ", missedOnCpu) + ")");
            }
            line.append(' ').append(row.target()).append(" | ").append(met).append(" |");
            System.out.println(line);
        }
        System.out.println();
        notes.forEach(System.out::println);
        for (int m = 0; m < MODES.length; m++) {
            System.out.println("device flush=" + MODES[m].optionName() + ": " + deviceDescriptions[m]);
            if (!METADATA_ONLY) {
                System.out.printf("data rows (flush=%s): the JIT compiled for %d ms during their timed rounds%n",
                        MODES[m].optionName(), jitMillis[m]);
            }
        }
        System.out.println("cells: best round's wall-clock rate (two threads: both together); 'on-CPU': operations per "
                + "CPU-second of the threads, times the threads (what they would do with a core each), i.e. without "
                + "the time they waited for a core on this shared machine; 2 threads scale when their on-CPU rate is "
                + "twice the one thread's. Load average at the end: " + loadAverage());
        System.out.println();
        printScaling();
        System.out.println();
        printCpuBound();
    }

    /**
     * Two threads against one (issue 11 point 1): per row and flush mode, the median rate over the
     * rounds with its min–max, on-CPU and wall, and the median (min–max) of the per-round 2T/1T
     * ratios; then 1 MiB writes against the raw copy, both at two threads, as the median of the
     * per-round ratios.
     */
    private void printScaling() {
        System.out.println("| two threads vs one | flush | 1T on-CPU | 2T on-CPU | 2T/1T on-CPU | 1T wall | 2T wall | "
                + "2T/1T wall | 2T/1T wall less core waits | rest of the JVM, 1T / 2T | 2T: slower thread / faster | target |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        String[][] rows = {{"raw4", "raw copy 4 KiB random (the device's own scaling)"},
                {"raw4w", "raw copy 4 KiB random + ALU work to a write's 1T time"},
                {"w4r", "write 4 KiB random"}, {"rawr4", "raw read 4 KiB random"},
                {"rawr4w", "raw read 4 KiB random + ALU work to a read's 1T time"}, {"r4r", "read 4 KiB random"},
                {"create", "create, separate directories"}, {"stat", "stat, separate directories"},
                {"unlink", "unlink, separate directories"}};
        for (String[] row : rows) {
            for (int m = 0; m < MODES.length; m++) {
                double[] cpu1 = rates(cpuSamples, row[0], column(m, 0), 1);
                double[] cpu2 = rates(cpuSamples, row[0], column(m, 1), 2);
                double[] wall1 = rates(wallSamples, row[0], column(m, 0), 1);
                double[] wall2 = rates(wallSamples, row[0], column(m, 1), 2);
                double[] unqueued1 = rates(unqueuedSamples, row[0], column(m, 0), 1);
                double[] unqueued2 = rates(unqueuedSamples, row[0], column(m, 1), 2);
                if (cpu1 == null || cpu2 == null) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", row[1],
                        MODES[m].optionName(), spread(cpu1), spread(cpu2), ratios(cpu2, cpu1), spread(wall1),
                        spread(wall2), ratios(wall2, wall1), ratios(unqueued2, unqueued1), otherCores(row[0], m),
                        imbalance(row[0], m), row[0].startsWith("raw") ? "control" : ">= 1.8x");
            }
        }
        for (int m = 0; m < MODES.length; m++) {
            double[] w = rates(cpuSamples, "w1m", column(m, 1), 2);
            double[] raw = rates(cpuSamples, "raw", column(m, 1), 2);
            double[] ww = rates(wallSamples, "w1m", column(m, 1), 2);
            double[] rawWall = rates(wallSamples, "raw", column(m, 1), 2);
            if (w == null || raw == null) {
                continue;
            }
            System.out.printf(Locale.ROOT, "| write 1 MiB / raw copy, both 2T (MiB/s) | %s | raw %s | write %s | %s | "
                    + "raw %s | write %s | %s | — | %s | %s | >= 90%% |%n", MODES[m].optionName(), spread(raw), spread(w),
                    percents(w, raw), spread(rawWall), spread(ww), percents(ww, rawWall), otherCores("w1m", m),
                    imbalance("w1m", m));
        }
        System.out.println();
        System.out.println("scaling cells: median rate (min–max) over the " + BATCHES + " rounds (data rows; batches of "
                + "50-100 ms) or " + METADATA_ROUNDS + " rounds (metadata rows); ratios: median (min–max) of the "
                + "ratio in each round, the two measured one after the other; 1 MiB rows in MiB/s, the others in "
                + "operations per second; on-CPU rates of two threads are per CPU-second times two, so a thread "
                + "parked on a lock does not show (ratios above 2 are such artefacts); wall ratios need a quiet "
                + "machine; wall less core waits: each thread's time less the time it waited in the run queue for a "
                + "core (/proc/thread-self/schedstat), the longest of the threads: what the wall ratio would be "
                + "without neighbours, lock waits included; rest of the JVM: median cores the process used beyond the measured threads (GC, JIT), "
                + "at 1 and 2 threads: on 2 cores that much of the second core is not the second thread's. "
                + "Load average now: " + loadAverage());
    }

    /**
     * What bounds the wall ratio on this machine's cores: per row and flush mode, the CPU per
     * operation of the measured threads (m) and of the rest of the JVM (g: GC, JIT), at 1T and 2T,
     * means over the rounds (a young collection falls in some rounds only). One thread runs at
     * about 1/m1 while the rest of the JVM has a core of its own; two threads share every core
     * with it, so they run at most at cores/(m2+g2): the wall ratio is bounded by cores·m1/(m2+g2).
     */
    private void printCpuBound() {
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.println("| CPU per operation (µs) | flush | m 1T | g 1T | m 2T | g 2T | bound on 2T/1T wall "
                + "| page faults per 1k operations, 1T / 2T | heap allocated B/op, 1T / 2T |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for (String row : List.of("raw4", "raw4w", "w4r", "rawr4", "rawr4w", "r4r", "create", "stat", "unlink")) {
            for (int m = 0; m < MODES.length; m++) {
                if (!cpuSamples.containsKey(row) || cpuSamples.get(row).get(column(m, 1)).isEmpty()) {
                    continue;
                }
                double m1 = mean(samples(cpuSamples, row, column(m, 0)));
                double m2 = mean(samples(cpuSamples, row, column(m, 1)));
                double g1 = mean(rest(row, column(m, 0)));
                double g2 = mean(rest(row, column(m, 1)));
                double f1 = mean(samples(faultSamples, row, column(m, 0)));
                double f2 = mean(samples(faultSamples, row, column(m, 1)));
                double a1 = mean(samples(allocSamples, row, column(m, 0)));
                double a2 = mean(samples(allocSamples, row, column(m, 1)));
                System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f | %.1f / %.1f | %.0f / %.0f |%n",
                        row, MODES[m].optionName(), m1 / 1e3, g1 / 1e3, m2 / 1e3, g2 / 1e3, cores * m1 / (m2 + g2),
                        f1 * 1e3, f2 * 1e3, a1, a2);
            }
        }
        System.out.println();
        System.out.println("CPU per operation: µs, mean over the rounds; m: the measured threads' CPU; g: the rest "
                + "of the JVM's (GC, JIT) meanwhile; bound: " + cores + "·m1/(m2+g2), the best wall ratio these "
                + "costs allow on " + cores + " cores with nothing else running; page faults: the measured "
                + "threads', mean over the rounds (first touches of a growing heap: their kernel time is in m); heap "
                + "allocated: the measured threads' (ThreadMXBean), mean over the rounds");
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** One cell's values in each round, in the order they ran. */
    private static double[] samples(Map<String, List<List<Double>>> samples, String row, int col) {
        return samples.get(row).get(col).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Nanoseconds of the rest of the JVM's CPU per operation, in each round: its cores times the wall time per operation. */
    private double[] rest(String row, int col) {
        double[] cores = samples(otherSamples, row, col);
        double[] wall = samples(wallSamples, row, col);
        for (int r = 0; r < cores.length; r++) {
            cores[r] *= wall[r];
        }
        return cores;
    }

    /** Median (min–max) over the rounds of how much longer the slower thread took than the faster at 2T. */
    private String imbalance(String row, int m) {
        double[] sorted = imbalanceSamples.get(row).get(column(m, 1)).stream().mapToDouble(Double::doubleValue)
                .sorted().toArray();
        return String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", median(sorted), sorted[0], sorted[sorted.length - 1]);
    }

    /** Median cores the rest of the JVM used during the 1T and the 2T rounds of {@code row}. */

    private String otherCores(String row, int m) {
        StringBuilder out = new StringBuilder();
        for (int ti = 0; ti < THREADS.length; ti++) {
            double[] sorted = otherSamples.get(row).get(column(m, ti)).stream().mapToDouble(Double::doubleValue)
                    .sorted().toArray();
            out.append(ti == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.2f", median(sorted)));
        }
        return out.toString();
    }

    /**
     * One cell's rate in each round, in the order they ran: operations (1 MiB rows: MiB) per second,
     * on-CPU rates times {@code threads}; null when the cell was not measured.
     */
    private double[] rates(Map<String, List<List<Double>>> samples, String row, int col, int threads) {
        List<List<Double>> columns = samples.get(row);
        if (columns == null || columns.get(col).isEmpty()) {
            return null;
        }
        boolean cpu = samples == cpuSamples;
        return columns.get(col).stream().mapToDouble(ns -> 1e9 / ns * (cpu ? threads : 1)).toArray();
    }

    /** Median (min–max) of {@code rates}. */
    private static String spread(double[] rates) {
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        return count(median(sorted)) + " (" + count(sorted[0]) + "–" + count(sorted[sorted.length - 1]) + ")";
    }

    /** Median (min–max) of {@code a[i] / b[i]}, the ratio of each round. */
    private static String ratios(double[] a, double[] b) {
        double[] r = perRound(a, b);
        return String.format(Locale.ROOT, "**%.2fx** (%.2f–%.2f)", median(r), r[0], r[r.length - 1]);
    }

    /** As {@link #ratios}, in percent. */
    private static String percents(double[] a, double[] b) {
        double[] r = perRound(a, b);
        return String.format(Locale.ROOT, "**%.0f%%** (%.0f–%.0f%%)", 100 * median(r), 100 * r[0],
                100 * r[r.length - 1]);
    }

    /** The sorted ratios {@code a[i] / b[i]}. */
    private static double[] perRound(double[] a, double[] b) {
        double[] r = new double[Math.min(a.length, b.length)];
        for (int i = 0; i < r.length; i++) {
            r[i] = a[i] / b[i];
        }
        Arrays.sort(r);
        return r;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Operations per second (or, for a ratio row, the share of the raw copy rate) of one cell. */
    private static double score(Row row, String rawKey, Map<String, double[]> map, int col) {
        double x = map.get(row.key())[col];
        return row.kind() == Kind.RATIO ? map.get(rawKey)[col] / x : 1e9 / x;
    }

    private static String count(double perSecond) {
        if (perSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", perSecond / 1e6);
        }
        if (perSecond >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }

    // ---- files ----

    private Path path(String name) {
        return ShmImages.path("fsbench", name);
    }

    private DaxDevice open(String name, long size, PersistenceMode mode) throws IOException {
        Path file = path(name);
        files.add(file);
        Files.deleteIfExists(file);
        return DaxDevice.open(file, DeviceOptions.defaults().withCreateSize(size / PAGE * PAGE).withMode(mode));
    }

    private void delete(String name) throws IOException {
        Files.deleteIfExists(path(name));
    }

    private void deleteFiles() throws IOException {
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
        for (PersistenceMode mode : MODES) {
            Files.deleteIfExists(path("mount-data-" + mode.optionName() + "-crash"));
            Files.deleteIfExists(path("mount-files-" + mode.optionName() + "-crash"));
        }
    }
}
