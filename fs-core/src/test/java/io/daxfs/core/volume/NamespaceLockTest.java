package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link NamespaceLock}: shared holders run together, an exclusive holder runs alone. */
class NamespaceLockTest {
    private final NamespaceLock lock = new NamespaceLock();

    @Test
    void sharedHoldersRunTogether() throws Exception {
        CyclicBarrier bothInside = new CyclicBarrier(2);
        Thread other = Thread.ofPlatform().start(() -> {
            lock.lockShared();
            try {
                bothInside.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                lock.unlockShared();
            }
        });
        lock.lockShared();
        try {
            bothInside.await(10, TimeUnit.SECONDS); // times out (and fails) unless both hold it at once
        } finally {
            lock.unlockShared();
        }
        other.join();
    }

    @Test
    void exclusiveWaitsForSharedHoldersToLeave() throws Exception {
        AtomicBoolean exclusiveInside = new AtomicBoolean();
        CountDownLatch announced = new CountDownLatch(1);
        lock.lockShared();
        Thread writer = Thread.ofPlatform().start(() -> {
            announced.countDown();
            lock.lockExclusive();
            exclusiveInside.set(true);
            lock.unlockExclusive();
        });
        announced.await();
        writer.join(200); // give it every chance to get in wrongly
        assertFalse(exclusiveInside.get(), "the exclusive holder got in beside a shared one");
        lock.unlockShared();
        writer.join();
        assertTrue(exclusiveInside.get());
    }

    @Test
    void sharedWaitsWhileHeldAlone() throws Exception {
        AtomicBoolean sharedInside = new AtomicBoolean();
        lock.lockExclusive();
        Thread reader = Thread.ofPlatform().start(() -> {
            lock.lockShared();
            sharedInside.set(true);
            lock.unlockShared();
        });
        reader.join(200);
        assertFalse(sharedInside.get(), "a shared holder got in beside the exclusive one");
        lock.unlockExclusive();
        reader.join();
        assertTrue(sharedInside.get());
    }

    @Test
    void manyThreadsNeverOverlapAnExclusiveHolder() throws Exception {
        AtomicInteger shared = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            boolean writer = t == 0;
            threads[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    if (writer) {
                        lock.lockExclusive();
                        if (shared.get() != 0) {
                            overlaps.incrementAndGet();
                        }
                        lock.unlockExclusive();
                    } else {
                        lock.lockShared();
                        shared.incrementAndGet();
                        shared.decrementAndGet();
                        lock.unlockShared();
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, overlaps.get());
    }

    @Test
    void onlyTheExclusiveHolderUnlocksIt() {
        assertThrows(IllegalMonitorStateException.class, lock::unlockExclusive);
    }
}
