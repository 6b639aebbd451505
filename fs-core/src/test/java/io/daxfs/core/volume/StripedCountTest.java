package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class StripedCountTest {
    @Test
    void countsThreadsInAndOut() throws Exception {
        StripedCount count = new StripedCount();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 100_000; i++) {
                    count.increment();
                    count.decrement();
                }
                count.increment();
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(8, count.sum());
    }

    /** The property InFlight and NamespaceLock drain on: while one thread is inside, no sum reads 0. */
    @Test
    void aSumNeverReadsZeroWhileAThreadIsInsideWhateverOthersDo() throws Exception {
        StripedCount count = new StripedCount();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            count.increment();
            inside.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            count.decrement();
        });
        inside.await();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> churn = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            churn.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    count.increment();
                    count.decrement();
                }
            }));
        }
        try {
            for (int i = 0; i < 200_000; i++) {
                assertTrue(count.sum() >= 1, "a sum read no thread inside while one was");
            }
        } finally {
            stop.set(true);
            for (Thread t : churn) {
                t.join();
            }
            done.countDown();
            holder.join();
        }
        assertEquals(0, count.sum());
    }
}
