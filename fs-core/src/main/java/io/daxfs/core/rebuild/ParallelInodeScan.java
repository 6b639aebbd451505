package io.daxfs.core.rebuild;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Visits every inode in use on several threads (the crash-recovery scan uses both cores of a small
 * machine). Inode numbers are handed out in batches from a shared cursor, so the threads stay busy
 * however unevenly logs are sized. Each thread feeds its own {@link Visitor}; the caller merges
 * them (the recovery and verification census, and the checker's log checks). When a visit fails, the failure of the lowest inode number is rethrown, as a scan on one
 * thread would have done.
 */
public final class ParallelInodeScan {
    /** Inode numbers a thread takes at a time. */
    private static final int BATCH = 1024;

    /** One thread's side of the scan. */
    public interface Visitor {
        void visit(long ino);
    }

    private ParallelInodeScan() {}

    /**
     * Calls a visitor from {@code factory} (one per thread, {@code threads} at most) for every set
     * bit of {@code used} below {@code limit}; returns the visitors. Once {@code stop} says true the
     * threads visit no more inodes (the visitors then saw only part of {@code used}).
     */
    public static <V extends Visitor> List<V> run(BitSet used, long limit, int threads, Supplier<V> factory,
            BooleanSupplier stop) {
        int n = (int) Math.max(1, Math.min(threads, (used.cardinality() + BATCH - 1) / BATCH));
        AtomicLong cursor = new AtomicLong(1);
        AtomicLong failedAt = new AtomicLong(Long.MAX_VALUE);
        List<V> visitors = new ArrayList<>(n);
        List<Failure> failures = new ArrayList<>();
        List<Thread> workers = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            V visitor = factory.get();
            visitors.add(visitor);
            Runnable body = () -> {
                for (long from = cursor.getAndAdd(BATCH); from < limit && from < failedAt.get();
                        from = cursor.getAndAdd(BATCH)) {
                    long to = Math.min(limit, from + BATCH);
                    for (long ino = used.nextSetBit((int) from); ino >= 0 && ino < to; ino = used.nextSetBit((int) ino + 1)) {
                        // per inode, not per batch: one batch can hold every directory of a tree
                        if (stop.getAsBoolean()) {
                            return;
                        }
                        try {
                            visitor.visit(ino);
                        } catch (RuntimeException | Error e) {
                            synchronized (failures) {
                                failures.add(new Failure(ino, e));
                            }
                            failedAt.accumulateAndGet(ino, Math::min);
                            return;
                        }
                    }
                }
            };
            if (t == n - 1) {
                body.run();
            } else {
                Thread worker = new Thread(body, "daxfs-scan-" + t);
                worker.setDaemon(true);
                worker.start();
                workers.add(worker);
            }
        }
        joinAll(workers);
        failures.stream().min((a, b) -> Long.compare(a.ino(), b.ino())).ifPresent(Failure::rethrow);
        return visitors;
    }

    private record Failure(long ino, Throwable error) {
        void rethrow() {
            if (error instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) error;
        }
    }

    private static void joinAll(List<Thread> workers) {
        boolean interrupted = false;
        for (Thread worker : workers) {
            while (true) {
                try {
                    worker.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
