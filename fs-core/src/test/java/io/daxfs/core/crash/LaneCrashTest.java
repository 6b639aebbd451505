package io.daxfs.core.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.ForwardingDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.testing.crash.CrashImage;
import io.daxfs.core.testing.crash.CrashImages;
import io.daxfs.core.testing.crash.CrashState;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Crash states with two operations in flight at once, in two journal lanes: two threads create and
 * unlink files, each in a directory of its own, and an {@link OverlapDevice} holds each thread
 * just after its lane's "active" store until the other thread's lane is active too, so every round
 * crashes with both lanes to roll back. Every crash image must check clean, mount, and show each
 * directory before or after its own thread's operation, independently of the other.
 */
class LaneCrashTest {
    private static final long DEVICE_BYTES = 1 << 20;
    private static final CrashImages.Policy POLICY = new CrashImages.Policy(64, 8, 11);
    /** Each thread's operations: create f0..f2, then unlink them in order. */
    private static final int ROUNDS = 6;

    @Test
    void twoLanesInFlightRollBackIndependently() throws Exception {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(DEVICE_BYTES));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        OverlapDevice device = new OverlapDevice(recorder);
        long[] dirs = new long[2];
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
                ExecutorService threads = Executors.newFixedThreadPool(2)) {
            for (int t = 0; t < 2; t++) {
                dirs[t] = fs.mkdir(fs.rootIno(), "d" + t, 0755, 0, 0).ino();
            }
            recorder.checkpoint();
            for (int round = 0; round < ROUNDS; round++) {
                device.arm();
                List<Future<?>> ops = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    long dir = dirs[t];
                    int r = round;
                    ops.add(threads.submit(() -> operation(fs, dir, r)));
                }
                for (Future<?> op : ops) {
                    op.get(30, TimeUnit.SECONDS);
                }
                recorder.mark(Integer.toString(round + 1));
            }
        }
        int bothActive = 0;
        int images = 0;
        try (SegmentDevice target = MemoryDevice.allocate(DEVICE_BYTES)) {
            for (int p = 0; p < recorder.crashPointCount(); p++) {
                CrashState state = recorder.crashState(p);
                int completed = state.lastMark() == null ? 0 : Integer.parseInt(state.lastMark());
                for (CrashImage image : state.images(POLICY)) {
                    image.copyTo(target);
                    if (activeLanes(target) >= 2) {
                        bothActive++;
                    }
                    verify(target, completed, image.describe());
                    images++;
                }
            }
        }
        System.out.printf("crash states: two lanes: %d crash points, %d images mounted and checked, %d with two"
                + " lanes active%n", recorder.crashPointCount(), images, bothActive);
        assertTrue(bothActive >= ROUNDS, "crash images with two lanes active: " + bothActive);
    }

    /** Round {@code round} of one thread: create f0..f2, then unlink them. */
    private static void operation(DaxFileSystem fs, long dir, int round) {
        if (round < ROUNDS / 2) {
            fs.create(dir, "f" + round, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
        } else {
            fs.unlink(dir, "f" + (round - ROUNDS / 2));
        }
    }

    /** The names in a thread's directory after {@code rounds} of its operations. */
    private static TreeSet<String> expected(int rounds) {
        TreeSet<String> names = new TreeSet<>();
        for (int r = 0; r < rounds; r++) {
            if (r < ROUNDS / 2) {
                names.add("f" + r);
            } else {
                names.remove("f" + (r - ROUNDS / 2));
            }
        }
        return names;
    }

    private static int activeLanes(DaxDevice device) {
        int active = 0;
        for (int lane = 0; lane < Journal.LANES; lane++) {
            if (device.getLong(Journal.laneOffset(lane)) != 0) {
                active++;
            }
        }
        return active;
    }

    private static void verify(SegmentDevice target, int completed, String image) {
        String where = "crash after " + completed + " completed rounds, " + image;
        CheckReport report = Checker.check(target);
        if (!report.errors().isEmpty()) {
            fail("the checker finds damage in a crash image: " + where + "\n" + report);
        }
        try (DaxFileSystem fs = DaxFileSystem.mount(target, MountOptions.defaults())) {
            for (int t = 0; t < 2; t++) {
                TreeSet<String> found = new TreeSet<>();
                for (DirEntry e : fs.readdir(fs.lookup(fs.rootIno(), "d" + t), 0, Integer.MAX_VALUE)) {
                    found.add(e.name().toString());
                }
                if (!found.equals(expected(completed)) && !found.equals(expected(completed + 1))) {
                    fail("directory d" + t + " shows " + found + ", neither " + expected(completed) + " nor "
                            + expected(completed + 1) + ": " + where);
                }
            }
        } catch (RuntimeException e) {
            throw new AssertionError("crash image does not mount cleanly: " + where, e);
        }
        CheckReport after = Checker.check(target);
        assertEquals(List.of(), after.problems(), "not clean after recovery and unmount: " + where);
    }

    /**
     * Holds a thread right after it stores its lane's "active" state until the other thread has
     * done the same, once per {@link #arm}: both operations are then in flight in two lanes.
     */
    private static final class OverlapDevice extends ForwardingDevice {
        private volatile CyclicBarrier barrier;

        OverlapDevice(DaxDevice delegate) {
            super(delegate);
        }

        void arm() {
            barrier = new CyclicBarrier(2, () -> barrier = null);
        }

        @Override
        public void storeRelease(long deviceOffset, long value) {
            super.storeRelease(deviceOffset, value);
            CyclicBarrier b = barrier;
            if (b != null && Journal.isActive(value) && isLaneState(deviceOffset)) {
                try {
                    b.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } catch (BrokenBarrierException | TimeoutException e) {
                    throw new IllegalStateException("the other thread never made its lane active", e);
                }
            }
        }

        private static boolean isLaneState(long offset) {
            for (int lane = 0; lane < Journal.LANES; lane++) {
                if (offset == Journal.laneOffset(lane)) {
                    return true;
                }
            }
            return false;
        }
    }
}
