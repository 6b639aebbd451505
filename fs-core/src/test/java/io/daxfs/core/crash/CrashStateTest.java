package io.daxfs.core.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.testing.crash.CrashImage;
import io.daxfs.core.testing.crash.CrashImages;
import io.daxfs.core.testing.crash.CrashState;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Crash-state tests: run each workload on a {@link RecordingDevice}, then for every fence point
 * (and a choice of the unflushed lines there) build the image a power failure would leave, mount
 * it and check that the consistency checker finds nothing, that it mounts, and that it shows the
 * state after the last completed operation or after the one in flight, never a mix. Operations return only once durable, so
 * "completed" includes everything fsync'd. The default run covers every single operation, every
 * ordered pair of the interacting ones and a seeded sample of triples; {@code -Ddaxfs.crash.long=true}
 * explores all triples with more images per crash point.
 */
class CrashStateTest {
    private static final long DEVICE_BYTES = 1 << 20;
    private static final boolean LONG = Boolean.getBoolean("daxfs.crash.long");
    static final CrashImages.Policy POLICY =
            LONG ? new CrashImages.Policy(1024, 64, 7) : new CrashImages.Policy(64, 8, 7);

    /** Reading file contents to compare states must not itself change them (atime). */
    static final MountOptions OPTIONS = MountOptions.defaults().withAtime(MountOptions.Atime.NOATIME);

    private final AtomicLong images = new AtomicLong();
    private final AtomicLong points = new AtomicLong();

    @Test
    void singleOperations() {
        for (CrashOps.Op op : CrashOps.ALL) {
            check(List.of(op));
        }
        report("single operations", CrashOps.ALL.size());
    }

    @Test
    void pairsOfOperations() {
        int workloads = 0;
        for (String a : CrashOps.INTERACTING) {
            for (String b : CrashOps.INTERACTING) {
                check(List.of(CrashOps.named(a), CrashOps.named(b)));
                workloads++;
            }
        }
        report("pairs", workloads);
    }

    @Test
    void triplesOfOperations() {
        Random random = new Random(3);
        List<String> names = CrashOps.INTERACTING;
        int workloads = LONG ? names.size() * names.size() * names.size() : 60;
        for (int i = 0; i < workloads; i++) {
            List<CrashOps.Op> ops = new ArrayList<>();
            for (int j = 0; j < 3; j++) {
                int pick = LONG ? (i / (int) Math.pow(names.size(), j)) % names.size() : random.nextInt(names.size());
                ops.add(CrashOps.named(names.get(pick)));
            }
            check(ops);
        }
        report("triples", workloads);
    }

    private void report(String what, int workloads) {
        System.out.printf("crash states: %s: %d workloads, %d crash points, %d images mounted and checked%n", what,
                workloads, points.get(), images.get());
    }

    /** Runs {@code ops} once recorded, then checks every crash image of the run. */
    private void check(List<CrashOps.Op> ops) {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(DEVICE_BYTES));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        List<TreeState> states = new ArrayList<>();
        DaxFileSystem fs = DaxFileSystem.mount(recorder, OPTIONS);
        CrashOps.setup(fs);
        recorder.checkpoint();
        states.add(TreeState.capture(fs));
        for (CrashOps.Op op : ops) {
            for (int step = 0; step < op.steps(); step++) {
                op.runStep(fs, step);
                recorder.mark(Integer.toString(states.size()));
                states.add(TreeState.capture(fs));
            }
        }
        try (SegmentDevice target = MemoryDevice.allocate(DEVICE_BYTES)) {
            for (int p = 0; p < recorder.crashPointCount(); p++) {
                CrashState state = recorder.crashState(p);
                int completed = state.lastMark() == null ? 0 : Integer.parseInt(state.lastMark());
                points.incrementAndGet();
                for (CrashImage image : state.images(POLICY)) {
                    image.copyTo(target);
                    verify(target, ops.toString(), states, completed, image);
                    images.incrementAndGet();
                }
            }
        }
    }

    /**
     * Checks one crash image of {@code workload}: the checker finds nothing, it mounts, it shows
     * {@code states[completed]} or the next state, and a clean remount changes neither the state
     * nor the free count.
     */
    static void verify(SegmentDevice target, String workload, List<TreeState> states, int completed,
            CrashImage image) {
        String where = "workload " + workload + ", crash after " + completed + " completed steps, " + image.describe();
        CheckReport report = Checker.check(target);
        if (!report.errors().isEmpty()) {
            fail("the checker finds damage in a crash image: " + where + "\n" + report);
        }
        TreeState found;
        long freeAfterRecovery;
        try (DaxFileSystem fs = DaxFileSystem.mount(target, OPTIONS)) {
            found = TreeState.capture(fs);
            freeAfterRecovery = fs.statfs().freeBlocks();
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionError("crash image does not mount cleanly: " + where, e);
        }
        TreeState before = states.get(completed);
        TreeState after = completed + 1 < states.size() ? states.get(completed + 1) : before;
        if (!found.equals(before) && !found.equals(after)) {
            fail("crash image shows neither the state before nor after the operation in flight: " + where
                    + "\nfound:\n" + found + "before:\n" + before + "after:\n" + after);
        }
        try (DaxFileSystem fs = DaxFileSystem.mount(target, OPTIONS)) {
            assertEquals(found, TreeState.capture(fs), "state changes across a clean remount: " + where);
            assertEquals(freeAfterRecovery, fs.statfs().freeBlocks(),
                    "saved allocator disagrees with the recovery scan: " + where);
        }
    }
}
