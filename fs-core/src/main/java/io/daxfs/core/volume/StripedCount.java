package io.daxfs.core.volume;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How many threads are inside something that many threads enter at once (an operation, a shared
 * lock hold), counted on striped cells, each on cache lines of its own, so that threads on
 * different cores do not write one shared word. A thread always counts on the cell of its own
 * stripe, so its increment and its decrement meet on one cell: once no thread can newly count
 * itself in, a {@link #sum} of 0 means nobody is inside. A {@code LongAdder} cannot promise that:
 * it moves a thread to another cell under contention, and a sum that reads the cell of one
 * thread's increment before it and the cell of its decrement after it can read 0 while another
 * thread is still inside. Used by {@link NamespaceLock} and {@code fs.InFlight}. Thread-safe.
 */
public final class StripedCount {
    /** Stripes: a power of two, eight per core, so that threads rarely share one. */
    private static final int STRIPES = Integer.highestOneBit(Runtime.getRuntime().availableProcessors() * 8 - 1);
    /**
     * Longs between two cells, and before the first and after the last: 128 bytes, so no two cells
     * share a line (nor a prefetched pair), and no cell shares one with the array's header (its
     * length, which every access reads for its bounds check) or with the objects allocated next to
     * the array (the owner's flags, read on every entry). Without the edges, the thread counting on
     * the first cell made every other thread's count miss on the header's line: 40-60 ns more per
     * operation at two threads (stat twice that, docs/BENCHMARKS.md, issue 11.1).
     */
    private static final int PAD = 16;

    private final AtomicLongArray cells = new AtomicLongArray((STRIPES + 2) * PAD);

    /** Counts this thread in. */
    public void increment() {
        cells.getAndIncrement(cell());
    }

    /** Counts out a thread that {@link #increment} counted in: the same thread. */
    public void decrement() {
        cells.getAndDecrement(cell());
    }

    /** The threads inside now (exact once no thread counts itself in any more). */
    public long sum() {
        long sum = 0;
        for (int i = 1; i <= STRIPES; i++) {
            sum += cells.get(i * PAD);
        }
        return sum;
    }

    /** This thread's cell: the same for its every call. */
    private static int cell() {
        long id = Thread.currentThread().threadId();
        return (int) (((id ^ (id >>> 16)) & (STRIPES - 1)) + 1) * PAD;
    }
}
