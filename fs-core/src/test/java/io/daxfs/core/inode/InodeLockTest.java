package io.daxfs.core.inode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The inode lock's rules: readers share, a writer excludes, misuse throws instead of hanging. */
class InodeLockTest {

    @Test
    void readersShareAndAWriterWaitsForThem() throws Exception {
        InodeLock lock = new InodeLock();
        lock.lockShared();
        Thread reader = Thread.ofPlatform().start(() -> {
            lock.lockShared();
            lock.unlockShared();
        });
        assertTrue(reader.join(java.time.Duration.ofSeconds(10)), "a second reader waited on a reader");

        AtomicBoolean written = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread writer = Thread.ofPlatform().start(() -> {
            lock.lockExclusive();
            written.set(true);
            lock.unlockExclusive();
            done.countDown();
        });
        assertFalse(done.await(200, TimeUnit.MILLISECONDS), "the writer got in while a reader held the lock");
        assertFalse(written.get());
        lock.unlockShared();
        assertTrue(done.await(10, TimeUnit.SECONDS), "the writer never got in after the reader left");
        writer.join();
    }

    @Test
    void aWriterExcludesReaders() throws Exception {
        InodeLock lock = new InodeLock();
        lock.lockExclusive();
        CountDownLatch read = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            lock.lockShared();
            read.countDown();
            lock.unlockShared();
        });
        assertFalse(read.await(200, TimeUnit.MILLISECONDS), "a reader got in while a writer held the lock");
        lock.unlockExclusive();
        assertTrue(read.await(10, TimeUnit.SECONDS), "the reader never got in after the writer left");
        reader.join();
    }

    @Test
    void misuseThrows() throws Exception {
        InodeLock lock = new InodeLock();
        assertThrows(IllegalMonitorStateException.class, lock::unlockShared);
        assertThrows(IllegalMonitorStateException.class, lock::unlockExclusive);
        lock.lockExclusive();
        assertThrows(IllegalMonitorStateException.class, lock::lockExclusive, "a second take by the holder");
        AtomicBoolean refused = new AtomicBoolean();
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                lock.unlockExclusive();
            } catch (IllegalMonitorStateException expected) {
                refused.set(true);
            }
        });
        other.join();
        assertTrue(refused.get(), "another thread released the holder's exclusive lock");
        lock.unlockExclusive();
        lock.lockShared(); // free again after the refused calls
        lock.unlockShared();
        assertEquals(0, lock.getQueueLength());
    }
}
