package io.daxfs.core.concurrency;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.ForwardingDevice;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * A device that can stop one thread right after a chosen 8-byte commit store, so that a test can
 * run another operation inside a window that is normally a few nanoseconds wide (and so turn a
 * race into a deterministic reproduction).
 */
final class PausingDevice extends ForwardingDevice {
    private volatile Thread victim;
    private volatile LongPredicate offsets = offset -> false;
    private volatile long value;
    final CountDownLatch paused = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);

    PausingDevice(DaxDevice inner) {
        super(inner);
    }

    /** The next release store of {@code value} at an offset {@code storeOffsets} accepts by {@code thread} pauses it. */
    void pauseAfterStore(Thread thread, LongPredicate storeOffsets, long storeValue) {
        this.value = storeValue;
        this.offsets = storeOffsets;
        this.victim = thread;
    }

    @Override
    public void storeRelease(long deviceOffset, long v) {
        delegate.storeRelease(deviceOffset, v);
        if (Thread.currentThread() == victim && offsets.test(deviceOffset) && v == value) {
            victim = null;
            paused.countDown();
            try {
                if (!resume.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never resumed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
