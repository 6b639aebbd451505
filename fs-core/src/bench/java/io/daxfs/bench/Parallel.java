package io.daxfs.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@link Measure}'s method for one or more threads at once: calibrates a batch to a useful
 * duration, warms up, times a few batches in which every thread runs its own loop of {@code n}
 * operations, and keeps the best. The result is wall-clock nanoseconds per operation over all
 * threads together (so two threads that scale perfectly halve it), and the best CPU time the
 * threads spent per operation (what the operation costs on a core of its own: on a shared, loaded
 * machine the wall time also counts the time the threads waited for a core).
 */
final class Parallel implements AutoCloseable {
    /** Work for one thread: runs {@code n} operations in its own loop. */
    @FunctionalInterface
    interface Work {
        void run(int thread, long n) throws Exception;
    }

    /**
     * Best wall and CPU nanoseconds per operation, and those of every timed batch (in the order
     * they ran), for medians and spread.
     */
    record Result(double wallNanos, double cpuNanos, double[] wallRuns, double[] cpuRuns) {}

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private final long batchNanos;
    private final long warmupNanos;
    private final int runs;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bench-worker");
        t.setDaemon(true);
        return t;
    });

    Parallel(long batchNanos, long warmupNanos, int runs) {
        this.batchNanos = batchNanos;
        this.warmupNanos = warmupNanos;
        this.runs = runs;
    }

    /** Best nanoseconds per operation, over {@code threads} threads running {@code work}. */
    Result nanosPerOp(int threads, Work work) throws Exception {
        long[] cpu = new long[1];
        long n = 1;
        while (time(threads, work, n, cpu) < batchNanos / 4 && n < (1L << 40)) {
            n *= 2;
        }
        long warmupEnd = System.nanoTime() + warmupNanos;
        while (System.nanoTime() < warmupEnd) {
            time(threads, work, n, cpu);
        }
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        double[] wallRuns = new double[runs];
        double[] cpuRuns = new double[runs];
        for (int i = 0; i < runs; i++) {
            wallRuns[i] = (double) time(threads, work, n, cpu) / (n * threads);
            cpuRuns[i] = (double) cpu[0] / (n * threads);
            best = Math.min(best, wallRuns[i]);
            bestCpu = Math.min(bestCpu, cpuRuns[i]);
        }
        return new Result(best, bestCpu, wallRuns, cpuRuns);
    }

    /**
     * Wall time of every thread running {@code n} operations of {@code work} at once; the CPU time
     * the threads spent together goes to {@code cpu[0]}.
     */
    long time(int threads, Work work, long n, long[] cpu) throws Exception {
        if (threads == 1) {
            long cpuStart = MX.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            work.run(0, n);
            long wall = System.nanoTime() - start;
            cpu[0] = MX.getCurrentThreadCpuTime() - cpuStart;
            return wall;
        }
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                long cpuStart = MX.getCurrentThreadCpuTime();
                work.run(thread, n);
                return MX.getCurrentThreadCpuTime() - cpuStart;
            }));
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        long total = 0;
        for (Future<Long> f : futures) {
            total += f.get();
        }
        long wall = System.nanoTime() - start;
        cpu[0] = total;
        return wall;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
