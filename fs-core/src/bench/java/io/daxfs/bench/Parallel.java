package io.daxfs.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@link Measure}'s method for one or more threads at once, and for several measurements that are
 * compared with each other (one thread against two, the engine against the raw copy): each is
 * calibrated to a batch of a useful duration, all are warmed up together until the JIT has settled
 * ({@link JitWatch}), then timed in rounds, one batch of each per round in a rotating order, so a
 * change of the neighbours' load or a GC hits every measurement alike and ratios can be taken per
 * round. A batch is every thread running its own loop of {@code n} operations at once; its result
 * is wall-clock nanoseconds per operation over all threads together (so two threads that scale
 * perfectly halve it), and the CPU time the
 * threads spent per operation (what the operation costs on a core of its own: on a shared, loaded
 * machine the wall time also counts the time the threads waited for a core). Thread {@code t} of
 * every batch, at one thread as at two, runs on the same worker thread of its own (never the
 * caller's), so one and two threads run on the same kind of thread, and what worker {@code t}
 * created in one batch it finds again in the next.
 */
final class Parallel implements AutoCloseable {
    /** Work for one thread: runs {@code n} operations in its own loop. */
    @FunctionalInterface
    interface Work {
        void run(int thread, long n) throws Exception;
    }

    /** One measurement: {@code work} on {@code threads} threads. */
    record Cell(int threads, Work work) {}

    /**
     * Per cell, per round: wall and CPU nanoseconds per operation, the cores the rest of the JVM
     * (GC, JIT, the measuring thread) kept busy meanwhile, wall nanoseconds per operation less
     * the time the threads waited for a core, the threads' page faults and the bytes they allocated
     * per operation, how much longer the slowest thread took than the fastest ({@link #time}); and
     * the milliseconds the JIT compiled during the timed rounds.
     */
    record Rounds(double[][] wall, double[][] cpu, double[][] otherCores, double[][] unqueued, double[][] faults,
            double[][] alloc, double[][] imbalance, long jitMillis) {}

    /**
     * After the warm-up time, passes over every cell until one is {@linkplain JitWatch#quiet quiet}:
     * at most this many (each a batch per cell), so a JIT that never settles cannot stall the run.
     */
    static final int MAX_QUIETING_PASSES = 10;

    /** Entries of {@code cpu} in {@link #time}. */
    static final int TIMES = 6;

    private static final Path SCHEDSTAT = Path.of("/proc/thread-self/schedstat");
    private static final Path STAT = Path.of("/proc/thread-self/stat");
    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final long batchNanos;
    private final long warmupNanos;
    private final int rounds;
    /** Worker {@code t} runs thread {@code t} of every batch. */
    private final ExecutorService[] workers;

    /** {@code maxThreads}: the most threads a batch may use, one worker each. */
    Parallel(long batchNanos, long warmupNanos, int rounds, int maxThreads) {
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads " + maxThreads);
        }
        this.batchNanos = batchNanos;
        this.warmupNanos = warmupNanos;
        this.rounds = rounds;
        this.workers = new ExecutorService[maxThreads];
        for (int t = 0; t < maxThreads; t++) {
            String name = "bench-worker-" + t;
            workers[t] = Executors.newSingleThreadExecutor(r -> {
                Thread thread = new Thread(r, name);
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    int rounds() {
        return rounds;
    }

    /** Calibrates, warms up and times {@code cells} interleaved, round by round. */
    Rounds interleaved(List<Cell> cells) throws Exception {
        int size = cells.size();
        long[] n = new long[size];
        long[] cpu = new long[TIMES];
        for (int i = 0; i < size; i++) {
            Cell c = cells.get(i);
            n[i] = 1;
            while (time(c.threads(), c.work(), n[i], cpu) < batchNanos / 4 && n[i] < (1L << 40)) {
                n[i] *= 2;
            }
        }
        long warmupEnd = System.nanoTime() + warmupNanos;
        while (System.nanoTime() < warmupEnd) {
            timeEach(cells, n, cpu);
        }
        for (int pass = 0; pass < MAX_QUIETING_PASSES; pass++) {
            JitWatch jit = new JitWatch();
            timeEach(cells, n, cpu);
            if (jit.quiet()) {
                break;
            }
        }
        JitWatch timedJit = new JitWatch();
        double[][] wall = new double[size][rounds];
        double[][] cpuRuns = new double[size][rounds];
        double[][] other = new double[size][rounds];
        double[][] unqueued = new double[size][rounds];
        double[][] faults = new double[size][rounds];
        double[][] alloc = new double[size][rounds];
        double[][] imbalance = new double[size][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < size; k++) {
                int i = (k + r) % size;
                Cell c = cells.get(i);
                long ops = n[i] * c.threads();
                long nanos = time(c.threads(), c.work(), n[i], cpu);
                wall[i][r] = (double) nanos / ops;
                cpuRuns[i][r] = (double) cpu[0] / ops;
                other[i][r] = (double) (cpu[1] - cpu[0]) / nanos;
                unqueued[i][r] = (double) cpu[2] / ops;
                faults[i][r] = (double) cpu[3] / ops;
                alloc[i][r] = (double) cpu[4] / ops;
                imbalance[i][r] = cpu[5] / 1000.0;
            }
        }
        return new Rounds(wall, cpuRuns, other, unqueued, faults, alloc, imbalance, timedJit.compiled());
    }

    /** Runs one batch of each cell, untimed. */
    private void timeEach(List<Cell> cells, long[] n, long[] cpu) throws Exception {
        for (int i = 0; i < cells.size(); i++) {
            time(cells.get(i).threads(), cells.get(i).work(), n[i], cpu);
        }
    }

    /**
     * Wall time of every thread running {@code n} operations of {@code work} at once, each on its
     * worker; the CPU time the threads spent together goes to {@code cpu[0]}, the whole process's
     * to {@code cpu[1]}, to {@code cpu[2]} the longest time a thread took less the time it waited
     * in the run queue for a core (from {@code /proc/thread-self/schedstat}; the wall time where
     * that cannot be read): an estimate of the wall time on a machine without neighbours, which
     * still counts the time a thread was blocked on a lock; and to {@code cpu[3]} the threads'
     * page faults (a first touch of fresh heap is a fault whose kernel time counts as the thread's CPU),
     * and to {@code cpu[4]} the bytes of heap the threads allocated, to {@code cpu[5]} the slowest
     * thread's time over the fastest's in thousandths (1000: balanced, or one thread): the wall
     * time is the slowest's, so a batch whose threads ran at different speeds scales less.
     */
    long time(int threads, Work work, long n, long[] cpu) throws Exception {
        if (threads < 1 || threads > workers.length || cpu.length < TIMES) {
            throw new IllegalArgumentException("threads " + threads + " (1.." + workers.length + "), cpu[" + cpu.length + "]");
        }
        long processStart = OS.getProcessCpuTime();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<long[]>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(workers[t].submit(() -> {
                ready.countDown();
                go.await();
                long cpuStart = MX.getCurrentThreadCpuTime();
                long queuedStart = runQueueNanos();
                long faultsStart = faults();
                long allocStart = MX.getCurrentThreadAllocatedBytes();
                long began = System.nanoTime();
                work.run(thread, n);
                long took = System.nanoTime() - began;
                long allocated = MX.getCurrentThreadAllocatedBytes() - allocStart;
                return new long[] {MX.getCurrentThreadCpuTime() - cpuStart, took - (runQueueNanos() - queuedStart),
                    faults() - faultsStart, allocated, took};
            }));
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        long total = 0;
        long unqueued = 0;
        long faults = 0;
        long allocated = 0;
        long slowest = 0;
        long fastest = Long.MAX_VALUE;
        for (Future<long[]> f : futures) {
            long[] times = f.get();
            total += times[0];
            unqueued = Math.max(unqueued, times[1]);
            faults += times[2];
            allocated += times[3];
            slowest = Math.max(slowest, times[4]);
            fastest = Math.min(fastest, times[4]);
        }
        long wall = System.nanoTime() - start;
        cpu[0] = total;
        cpu[1] = OS.getProcessCpuTime() - processStart;
        cpu[2] = unqueued;
        cpu[3] = faults;
        cpu[4] = allocated;
        cpu[5] = 1000 * slowest / Math.max(1, fastest);
        return wall;
    }

    /** Page faults (minor and major) of this thread so far, from /proc/thread-self/stat, or 0 if the kernel does not say. */
    private static long faults() {
        try {
            String stat = Files.readString(STAT);
            // After the command name in parentheses: state is field 3, minflt 10, majflt 12.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[7]) + Long.parseLong(fields[9]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Nanoseconds this thread has waited in a run queue for a core, or 0 if the kernel does not say. */
    private static long runQueueNanos() {
        try {
            String[] fields = Files.readString(SCHEDSTAT).trim().split(" ");
            return Long.parseLong(fields[1]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        for (ExecutorService worker : workers) {
            worker.shutdownNow();
        }
    }
}
