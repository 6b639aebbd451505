package io.daxfs.bench;

/**
 * A small timing harness for the benchmark programs started by {@code bin/bench}: calibrates a
 * batch to a useful duration, warms up, times a few batches and keeps the best (the run least
 * disturbed by the JIT, the GC and the neighbours).
 */
public final class Measure {
    /** Work to time: runs {@code n} operations in its own loop (so each loop gets its own JIT profile). */
    @FunctionalInterface
    public interface Batch {
        void run(long n) throws Exception;
    }

    private static final long TARGET_BATCH_NANOS = 40_000_000;
    private static final long WARMUP_NANOS = 200_000_000;
    private static final int RUNS = 5;

    private Measure() {}

    /** Best nanoseconds per operation of {@code batch}. */
    public static double nanosPerOp(Batch batch) throws Exception {
        long n = 1;
        while (time(batch, n) < TARGET_BATCH_NANOS / 4 && n < (1L << 40)) {
            n *= 2;
        }
        long warmupEnd = System.nanoTime() + WARMUP_NANOS;
        while (System.nanoTime() < warmupEnd) {
            time(batch, n);
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < RUNS; i++) {
            best = Math.min(best, (double) time(batch, n) / n);
        }
        return best;
    }

    /** Best bandwidth in GiB/s of {@code batch}, whose operations move {@code bytesPerOp} each. */
    public static double gibPerSecond(long bytesPerOp, Batch batch) throws Exception {
        return bytesPerOp / nanosPerOp(batch) * 1e9 / (1L << 30);
    }

    private static long time(Batch batch, long n) throws Exception {
        long start = System.nanoTime();
        batch.run(n);
        return System.nanoTime() - start;
    }
}
