package io.daxfs.core.fs;

import io.daxfs.core.volume.StripedCount;
import java.util.concurrent.locks.LockSupport;

/**
 * The operations running on a mounted {@link DaxFileSystem}, and the shutting of it at close: once
 * {@link #shutAndDrain} returns, every operation that entered has left and none enters again, so
 * none touches the device after the unmount. Counted on a {@link StripedCount}: threads on
 * different cores write different cache lines, where a read-write lock's read side made every
 * operation of every thread write one shared word (it kept stat and 4 KiB reads on two threads from
 * scaling; docs/BENCHMARKS.md). Thread-safe.
 */
final class InFlight {
    private static final long DRAIN_POLL_NS = 50_000;

    private final StripedCount running = new StripedCount();
    private volatile boolean shut;

    /** Enters an operation; false (and nothing to undo) once the gate is shut. */
    boolean enter() {
        running.increment();
        if (shut) { // read after the increment: shutAndDrain either sees it or is seen here
            running.decrement();
            return false;
        }
        return true;
    }

    /** Leaves an operation that {@link #enter} let in. */
    void exit() {
        running.decrement();
    }

    /** Shuts the gate and waits until every operation in flight has left; only the closer calls it. */
    void shutAndDrain() {
        shut = true;
        while (running.sum() != 0) {
            LockSupport.parkNanos(DRAIN_POLL_NS);
        }
    }
}
