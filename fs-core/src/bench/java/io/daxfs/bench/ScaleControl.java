package io.daxfs.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A control for the engine bench's metadata rows ({@code bin/bench control}, issue 11 point 1):
 * plain Java with daxfs's shape per operation and no daxfs code, measured by the same harness
 * ({@link Parallel}) and in the same rounds (one thread: all files in one directory; two threads:
 * half each in a directory of its own). Create builds an inode of about daxfs's retained size,
 * puts it in its thread's directory (a {@code HashMap} by name bytes) and in one shared
 * {@code ConcurrentHashMap} by number (the identity map), and writes a record and a log entry to
 * off-heap memory of its thread; stat looks both maps up and copies the attributes out; unlink
 * removes from both and clears the record. Each also allocates short-lived objects up to the bytes
 * per operation given ({@code control.createBytes}, {@code control.statBytes},
 * {@code control.unlinkBytes}: daxfs's, from the engine bench's CPU table), and follows
 * {@code control.misses} dependent random loads through memory of its thread, so that it costs
 * about daxfs's µs per operation in cache misses rather than in instructions. The two threads
 * write no common data but the shared map's bins and counter cells, so its per-operation CPU at
 * two threads over one (m2/m1) is what the JVM and this machine charge a second thread for such
 * work: the baseline daxfs's own m2/m1 is to be compared with (docs/BENCHMARKS.md, issue 11.1).
 */
public final class ScaleControl {
    private static final int FILES = Integer.getInteger("bench.files", 100_000);
    /** Rounds and stat passes: more than the engine bench's (5, 16), as the control's rounds are shorter. */
    private static final int ROUNDS = Integer.getInteger("bench.metadataRounds", 15);
    private static final int STAT_PASSES = Integer.getInteger("bench.statPasses", 32);
    private static final int CREATE_BYTES = Integer.getInteger("control.createBytes", 2400);
    private static final int STAT_BYTES = Integer.getInteger("control.statBytes", 200);
    private static final int UNLINK_BYTES = Integer.getInteger("control.unlinkBytes", 1730);
    /** Bytes of one short-lived object of the padding (a {@code long[4]}: 16 header + 32). */
    private static final int PAD_OBJECT = 48;
    /**
     * {@code control.misses}: dependent random loads per create, stat and unlink (10, 2, 8: daxfs's
     * µs per operation on this machine, 2026-12-03) in a chase of {@code control.chaseMiB} (58:
     * daxfs's heap of 100k files) split between the threads as the files are: the cache misses of
     * an operation that walks objects not in the caches.
     */
    private static final int[] MISSES = Arrays.stream(System.getProperty("control.misses", "10,2,8").split(","))
            .mapToInt(Integer::parseInt).toArray();
    private static final int CHASE_INTS = Integer.getInteger("control.chaseMiB", 58) << 18;
    private static final int[] THREADS = {1, 2};
    /**
     * {@code control.interleave}: the two threads' inode numbers alternate (thread t's are t+1, t+3,
     * ...), so the identity map holds them side by side, as numbers handed out from one counter would.
     */
    private static final boolean INTERLEAVE = Boolean.getBoolean("control.interleave");
    private static final long INO_STEP = INTERLEAVE ? THREADS[THREADS.length - 1] : 1;
    private static final String[] ROWS = {"create", "stat", "unlink"};
    /** Off-heap bytes per thread: a 64-byte record per inode number and a log of 128 bytes per create. */
    private static final long RECORD = 64;
    private static final long LOG_ENTRY = 128;

    /** An inode: about daxfs's retained bytes per empty file (580), in a few objects. */
    private static final class Inode {
        final long ino;
        final Attrs attrs;
        final long[] logState = new long[24];
        final byte[] index = new byte[160];
        final Object lock = new Object();
        int uses;

        Inode(long ino, long now) {
            this.ino = ino;
            this.attrs = new Attrs(ino, 0100644, 1, 0, 0, 0, now, now, now);
        }
    }

    private record Attrs(long ino, int mode, int nlink, int uid, int gid, long size, long atime, long mtime,
            long ctime) {}

    /** A name as bytes (daxfs's {@code Name}): hashed and compared by content. */
    private record Key(byte[] bytes, int hash) {
        static Key of(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return new Key(b, Arrays.hashCode(b));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private record Entry(long ino, int kind) {}

    /** What a worker thread owns: its directory, its off-heap area, where short-lived objects escape to. */
    private static final class Worker {
        final HashMap<Key, Entry> directory = new HashMap<>();
        /** The directory's inode, in the identity map as the files are. */
        final Inode dirInode;
        /** The operations this thread has in flight (daxfs's striped gate): a cell of this thread's own. */
        final AtomicLong inFlight = new AtomicLong();
        final MemorySegment area;
        final Object[] escape = new Object[64];
        /** Per thread count: a random cycle through {@code CHASE_INTS / threads} ints of this thread's own. */
        final int[][] chase = new int[THREADS.length][];
        final int[] chaseAt = new int[THREADS.length];
        long logAt;
        long nextIno;
        int escaped;

        Worker(MemorySegment area, long dirIno) {
            this.area = area;
            this.dirInode = new Inode(dirIno, System.nanoTime());
            this.nextIno = dirIno + INO_STEP;
        }

        /** Follows {@code steps} links of the chase of thread count index {@code ti}, each a likely cache miss. */
        void chase(int ti, int steps) {
            int[] links = chase[ti];
            int at = chaseAt[ti];
            for (int i = 0; i < steps; i++) {
                at = links[at];
            }
            chaseAt[ti] = at;
        }

        /** Allocates about {@code bytes} in short-lived objects that escape (so none is optimized away). */
        void garbage(int bytes) {
            for (int b = 0; b < bytes; b += PAD_OBJECT) {
                escape[escaped++ & (escape.length - 1)] = new long[4];
            }
        }

        long log(long ino) {
            long at = recordArea() + logAt;
            area.set(ValueLayout.JAVA_LONG_UNALIGNED, at, ino);
            area.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 8, System.nanoTime());
            area.set(ValueLayout.JAVA_LONG_UNALIGNED, at + LOG_ENTRY - 8, ino ^ at);
            logAt = (logAt + LOG_ENTRY) % (FILES * LOG_ENTRY);
            return at;
        }

        long recordArea() {
            return FILES * RECORD;
        }
    }

    private final ConcurrentHashMap<Long, Inode> identity = new ConcurrentHashMap<>(4 * FILES);
    private final Worker[] workers = new Worker[THREADS[THREADS.length - 1]];
    private final Parallel parallel = new Parallel(200_000_000, 300_000_000, 1, THREADS[THREADS.length - 1]);
    /** Row → thread index → CPU ns, wall ns and bytes allocated per operation, one per round. */
    private final double[][][][] samples = new double[ROWS.length][THREADS.length][3][ROUNDS];
    private volatile long sink;

    private ScaleControl() {
        Arena arena = Arena.global();
        for (int t = 0; t < workers.length; t++) {
            MemorySegment area = arena.allocate(FILES * (RECORD + LOG_ENTRY), 4096);
            area.fill((byte) 0); // touched before any round: no first-touch fault in the rounds
            // numbers of their own, never meeting, or alternating
            workers[t] = new Worker(area, INTERLEAVE ? 1_000_000_000L + t : 1 + ((long) t << 40));
            identity.put(workers[t].dirInode.ino, workers[t].dirInode);
        }
        Random random = new Random(42);
        for (int ti = 0; ti < THREADS.length; ti++) {
            for (int t = 0; t < THREADS[ti]; t++) {
                workers[t].chase[ti] = cycle(CHASE_INTS / THREADS[ti], random);
            }
        }
    }

    /** A random cyclic permutation of {@code n} (Sattolo): following it from any index visits every index. */
    private static int[] cycle(int n, Random random) {
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i);
            int swap = next[i];
            next[i] = next[j];
            next[j] = swap;
        }
        return next;
    }

    public static void main(String[] args) throws Exception {
        ScaleControl control = new ScaleControl();
        try {
            control.run();
        } finally {
            control.parallel.close();
        }
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "JVM control of the metadata rows: %d files, %d rounds after an untimed one, "
                + "stat %d passes; padding to %d / %d / %d B per create / stat / unlink; dependent loads per op %s in "
                + "%d MiB; identity numbers %s; load average at start: %s%n%n",
                FILES, ROUNDS, STAT_PASSES, CREATE_BYTES, STAT_BYTES, UNLINK_BYTES, Arrays.toString(MISSES),
                CHASE_INTS >> 18, INTERLEAVE ? "alternating" : "apart", FsBench.loadAverage());
        String[][] names = new String[THREADS.length][];
        for (int ti = 0; ti < THREADS.length; ti++) {
            names[ti] = new String[FILES / THREADS[ti]];
            for (int i = 0; i < names[ti].length; i++) {
                names[ti][i] = "file-" + i;
            }
        }
        for (int round = -1; round < ROUNDS; round++) {
            for (int k = 0; k < THREADS.length; k++) {
                int ti = Math.floorMod(k + round, THREADS.length);
                round(ti, names[ti], round);
            }
        }
        print();
        System.out.println("load average at the end: " + FsBench.loadAverage());
    }

    /** One round of create-all, stat-all, unlink-all at {@code THREADS[ti]} threads; kept if {@code round >= 0}. */
    private void round(int ti, String[] names, int round) throws Exception {
        int threads = THREADS[ti];
        long ops = (long) names.length * threads;
        time(0, ti, round, ops, t -> {
            Worker w = workers[t];
            for (String name : names) {
                create(w, name);
                w.chase(ti, MISSES[0]);
            }
        });
        time(1, ti, round, ops * STAT_PASSES, t -> {
            Worker w = workers[t];
            long s = 0;
            for (int pass = 0; pass < STAT_PASSES; pass++) {
                for (String name : names) {
                    s += stat(w, name).size();
                    w.chase(ti, MISSES[1]);
                }
            }
            sink += s;
        });
        time(2, ti, round, ops, t -> {
            Worker w = workers[t];
            for (String name : names) {
                unlink(w, name);
                w.chase(ti, MISSES[2]);
            }
        });
    }

    /** The directory's inode through the identity map, locked, with the operation counted in, as daxfs. */
    private Inode enterDirectory(Worker w) {
        w.inFlight.incrementAndGet();
        Inode dir = identity.get(w.dirInode.ino);
        dir.uses++;
        return dir;
    }

    private void create(Worker w, String name) {
        Key key = Key.of(name);
        Inode dir = enterDirectory(w);
        synchronized (dir.lock) {
            long ino = w.nextIno;
            w.nextIno += INO_STEP;
            Inode inode = new Inode(ino, System.nanoTime());
            synchronized (inode.lock) {
                long record = (ino % FILES) * RECORD;
                w.area.set(ValueLayout.JAVA_LONG_UNALIGNED, record, w.log(ino));
                w.area.set(ValueLayout.JAVA_LONG_UNALIGNED, record + 8, ino);
                if (identity.putIfAbsent(ino, inode) != null || w.directory.putIfAbsent(key, new Entry(ino, 1)) != null) {
                    throw new IllegalStateException("duplicate " + name);
                }
            }
        }
        w.inFlight.decrementAndGet();
        w.garbage(CREATE_BYTES - 760); // the inode, its entry, key, map nodes and box: about 760 B
    }

    private Attrs stat(Worker w, String name) {
        Key key = Key.of(name);
        Inode dir = enterDirectory(w);
        Entry entry;
        synchronized (dir.lock) {
            entry = w.directory.get(key);
        }
        w.inFlight.decrementAndGet();
        w.inFlight.incrementAndGet();
        Inode inode = identity.get(entry.ino());
        Attrs copy;
        synchronized (inode.lock) {
            inode.uses++;
            Attrs a = inode.attrs;
            copy = new Attrs(a.ino(), a.mode(), a.nlink(), a.uid(), a.gid(), a.size(), a.atime(), a.mtime(), a.ctime());
        }
        w.inFlight.decrementAndGet();
        w.garbage(STAT_BYTES - 176); // the key, its bytes, two boxes and the copy: about 176 B
        return copy;
    }

    private void unlink(Worker w, String name) {
        Key key = Key.of(name);
        Inode dir = enterDirectory(w);
        synchronized (dir.lock) {
            Entry entry = w.directory.remove(key);
            Inode inode = identity.remove(entry.ino());
            synchronized (inode.lock) {
                w.area.set(ValueLayout.JAVA_LONG_UNALIGNED, (inode.ino % FILES) * RECORD, 0);
                w.log(inode.ino);
            }
        }
        w.inFlight.decrementAndGet();
        w.garbage(UNLINK_BYTES - 96);
    }

    @FunctionalInterface
    private interface PerThread {
        void run(int thread) throws Exception;
    }

    private void time(int row, int ti, int round, long ops, PerThread work) throws Exception {
        long[] cpu = new long[Parallel.TIMES];
        long nanos = parallel.time(THREADS[ti], (t, n) -> work.run(t), 1, cpu);
        if (round >= 0) {
            samples[row][ti][0][round] = (double) cpu[0] / ops;
            samples[row][ti][1][round] = (double) nanos / ops;
            samples[row][ti][2][round] = (double) cpu[4] / ops;
        }
    }

    private void print() {
        System.out.println("| row | m 1T µs | m 2T µs | m2/m1 per round, median (min–max) | 2T/1T wall per round "
                + "| heap allocated B/op, 1T / 2T |");
        System.out.println("|---|---:|---:|---|---|---:|");
        for (int r = 0; r < ROWS.length; r++) {
            double[][] one = samples[r][0];
            double[][] two = samples[r][1];
            double[] m = new double[ROUNDS];
            double[] wall = new double[ROUNDS];
            for (int k = 0; k < ROUNDS; k++) {
                m[k] = two[0][k] / one[0][k];
                wall[k] = one[1][k] / two[1][k];
            }
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %s | %s | %.0f / %.0f |%n", ROWS[r],
                    mean(one[0]) / 1e3, mean(two[0]) / 1e3, medianRange(m), medianRange(wall), mean(one[2]),
                    mean(two[2]));
        }
        System.out.println();
        System.out.println("m: the measured threads' CPU per operation, mean over the rounds; m2/m1 and wall: "
                + "2T over 1T in the same round");
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    private static String medianRange(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", median, sorted[0], sorted[n - 1]);
    }
}
