package io.daxfs.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * calibrated to a batch of a useful duration, all are warmed up together, then timed in rounds,
 * one batch of each per round in a rotating order, so a change of the neighbours' load or a GC
 * hits every measurement alike and ratios can be taken per round. A batch is every thread running
 * its own loop of {@code n} operations at once; its result is wall-clock nanoseconds per operation
 * over all threads together (so two threads that scale perfectly halve it), and the CPU time the
 * threads spent per operation (what the operation costs on a core of its own: on a shared, loaded
 * machine the wall time also counts the time the threads waited for a core).
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
     * (GC, JIT, the measuring thread) kept busy meanwhile, and wall nanoseconds per operation less
     * the time the threads waited for a core ({@link #time}).
     */
    record Rounds(double[][] wall, double[][] cpu, double[][] otherCores, double[][] unqueued) {}

    private static final Path SCHEDSTAT = Path.of("/proc/thread-self/schedstat");
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final long batchNanos;
    private final long warmupNanos;
    private final int rounds;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bench-worker");
        t.setDaemon(true);
        return t;
    });

    Parallel(long batchNanos, long warmupNanos, int rounds) {
        this.batchNanos = batchNanos;
        this.warmupNanos = warmupNanos;
        this.rounds = rounds;
    }

    int rounds() {
        return rounds;
    }

    /** Calibrates, warms up and times {@code cells} interleaved, round by round. */
    Rounds interleaved(List<Cell> cells) throws Exception {
        int size = cells.size();
        long[] n = new long[size];
        long[] cpu = new long[3];
        for (int i = 0; i < size; i++) {
            Cell c = cells.get(i);
            n[i] = 1;
            while (time(c.threads(), c.work(), n[i], cpu) < batchNanos / 4 && n[i] < (1L << 40)) {
                n[i] *= 2;
            }
        }
        long warmupEnd = System.nanoTime() + warmupNanos;
        while (System.nanoTime() < warmupEnd) {
            for (int i = 0; i < size; i++) {
                time(cells.get(i).threads(), cells.get(i).work(), n[i], cpu);
            }
        }
        double[][] wall = new double[size][rounds];
        double[][] cpuRuns = new double[size][rounds];
        double[][] other = new double[size][rounds];
        double[][] unqueued = new double[size][rounds];
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
            }
        }
        return new Rounds(wall, cpuRuns, other, unqueued);
    }

    /**
     * Wall time of every thread running {@code n} operations of {@code work} at once; the CPU time
     * the threads spent together goes to {@code cpu[0]}, the whole process's to {@code cpu[1]}, and
     * to {@code cpu[2]} the longest time a thread took less the time it waited in the run queue for
     * a core (from {@code /proc/thread-self/schedstat}; the wall time where that cannot be read): an
     * estimate of the wall time on a machine without neighbours, which still counts the time a
     * thread was blocked on a lock.
     */
    long time(int threads, Work work, long n, long[] cpu) throws Exception {
        long processStart = OS.getProcessCpuTime();
        if (threads == 1) {
            long cpuStart = MX.getCurrentThreadCpuTime();
            long queuedStart = runQueueNanos();
            long start = System.nanoTime();
            work.run(0, n);
            long wall = System.nanoTime() - start;
            long queued = runQueueNanos() - queuedStart;
            cpu[0] = MX.getCurrentThreadCpuTime() - cpuStart;
            cpu[1] = OS.getProcessCpuTime() - processStart;
            cpu[2] = wall - queued;
            return wall;
        }
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<long[]>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                long cpuStart = MX.getCurrentThreadCpuTime();
                long queuedStart = runQueueNanos();
                long began = System.nanoTime();
                work.run(thread, n);
                long took = System.nanoTime() - began;
                return new long[] {MX.getCurrentThreadCpuTime() - cpuStart, took - (runQueueNanos() - queuedStart)};
            }));
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        long total = 0;
        long unqueued = 0;
        for (Future<long[]> f : futures) {
            long[] times = f.get();
            total += times[0];
            unqueued = Math.max(unqueued, times[1]);
        }
        long wall = System.nanoTime() - start;
        cpu[0] = total;
        cpu[1] = OS.getProcessCpuTime() - processStart;
        cpu[2] = unqueued;
        return wall;
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
        pool.shutdownNow();
    }
}
