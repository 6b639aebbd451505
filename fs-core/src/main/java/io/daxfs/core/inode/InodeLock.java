package io.daxfs.core.inode;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The lock of one DRAM inode (docs/ARCHITECTURE.md, "Locking"): shared by readers of its data and
 * attributes, exclusive for anything that appends to its log. Taken by {@code fs.DaxFileSystem}.
 *
 * <p>Not reentrant: no operation takes an inode's lock twice (a second exclusive take by its
 * holder throws instead of hanging). Why not a {@code ReentrantReadWriteLock}: that is five objects
 * of about 120 bytes (its sync, per-thread hold counter and two views) and three pointer hops to
 * its state; every inode has one, every created inode survives a young collection, and a stat of a
 * file not in the CPU's cache missed on each hop. This is one object of 32 bytes. A reader does not
 * overtake a thread already queued (so a stream of readers does not starve a writer); the
 * exclusive side may barge, as the JDK's non-fair locks do.
 */
public final class InodeLock extends AbstractQueuedSynchronizer {
    private static final long serialVersionUID = 1L;
    /** The state while a writer holds it; otherwise the state counts the readers. */
    private static final int EXCLUSIVE = -1;

    public void lockShared() {
        acquireShared(1);
    }

    public void unlockShared() {
        releaseShared(1);
    }

    public void lockExclusive() {
        acquire(1);
    }

    public void unlockExclusive() {
        release(1);
    }

    @Override
    protected boolean tryAcquire(int ignored) {
        if (getState() == 0 && compareAndSetState(0, EXCLUSIVE)) {
            setExclusiveOwnerThread(Thread.currentThread());
            return true;
        }
        if (getExclusiveOwnerThread() == Thread.currentThread()) {
            throw new IllegalMonitorStateException("inode lock taken twice by " + Thread.currentThread().getName());
        }
        return false;
    }

    @Override
    protected boolean tryRelease(int ignored) {
        if (getExclusiveOwnerThread() != Thread.currentThread()) {
            throw new IllegalMonitorStateException("inode lock not held exclusively by this thread");
        }
        setExclusiveOwnerThread(null);
        setState(0);
        return true;
    }

    @Override
    protected int tryAcquireShared(int ignored) {
        while (true) {
            int state = getState();
            if (state < 0 || hasQueuedPredecessors()) {
                return -1;
            }
            if (compareAndSetState(state, state + 1)) {
                return 1;
            }
        }
    }

    @Override
    protected boolean tryReleaseShared(int ignored) {
        while (true) {
            int state = getState();
            if (state <= 0) {
                throw new IllegalMonitorStateException("inode lock not held shared");
            }
            if (compareAndSetState(state, state - 1)) {
                return state == 1;
            }
        }
    }

    @Override
    protected boolean isHeldExclusively() {
        return getExclusiveOwnerThread() == Thread.currentThread();
    }
}
