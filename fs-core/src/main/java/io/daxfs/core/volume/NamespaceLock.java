package io.daxfs.core.volume;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The volume's namespace lock (docs/ARCHITECTURE.md, "Locking"): operations that change names in
 * one directory hold it shared and run in parallel; rename and unmount hold it alone. Not
 * reentrant. The shared holders are counted on a {@link StripedCount}: a
 * {@code ReentrantReadWriteLock}'s read side made every create and unlink of every thread write
 * one shared word, whose cache line then bounced between the cores. Taking it alone is rare and pays for that: it announces itself, then
 * waits until every shared holder has left. Thread-safe.
 */
public final class NamespaceLock {
    private static final long DRAIN_POLL_NS = 100_000;

    private final StripedCount shared = new StripedCount();
    /** Held by the thread that holds the lock alone, or is waiting for the shared holders to leave. */
    private final ReentrantLock alone = new ReentrantLock();
    /** That thread, or null: what a shared taker checks after counting itself in. */
    private volatile Thread exclusiveOwner;

    /** Takes the lock shared; waits while a thread holds it, or is taking it, alone. */
    public void lockShared() {
        while (true) {
            shared.increment();
            if (exclusiveOwner == null) { // read after the increment: lockExclusive sees it or it is seen here
                return;
            }
            leave();
            alone.lock(); // waits for the exclusive holder to finish
            alone.unlock();
        }
    }

    /** Lets go of a shared hold taken by this thread. */
    public void unlockShared() {
        leave();
    }

    /** Takes the lock alone: no new shared holder gets in, and those inside have left when this returns. */
    public void lockExclusive() {
        alone.lock();
        exclusiveOwner = Thread.currentThread();
        while (shared.sum() != 0) {
            LockSupport.parkNanos(this, DRAIN_POLL_NS);
        }
    }

    /** Lets go of the exclusive hold. */
    public void unlockExclusive() {
        if (exclusiveOwner != Thread.currentThread()) {
            throw new IllegalMonitorStateException("the namespace lock is not held alone by this thread");
        }
        exclusiveOwner = null;
        alone.unlock();
    }

    /** Uncounts a shared holder, and wakes a thread waiting to take the lock alone. */
    private void leave() {
        shared.decrement();
        Thread waiting = exclusiveOwner;
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
    }
}
