package io.daxfs.core.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.testing.crash.CrashImage;
import io.daxfs.core.testing.crash.CrashImages;
import io.daxfs.core.testing.crash.CrashState;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Crashes inside mount, unmount and recovery, and two in a row: every image a power failure can
 * leave while the superblocks (and the saved allocator, the orphans, the journal roll-back) are
 * being written must pass the checker (notices allowed), mount, and show the tree the filesystem
 * had. The superblock copies are never both at risk, so no sequence of crashes makes both unusable.
 */
class MountCrashTest {
    private static final long DEVICE_BYTES = 1 << 20;
    private static final MountOptions OPTIONS = MountOptions.defaults().withAtime(MountOptions.Atime.NOATIME);
    private static final CrashImages.Policy POLICY = new CrashImages.Policy(256, 32, 11);
    /** Nested crashes multiply: fewer images per inner crash point. */
    private static final CrashImages.Policy INNER = new CrashImages.Policy(32, 8, 13);

    @Test
    void crashInsideUnmount() {
        RecordingDevice recorder = recorderWithTree();
        DaxFileSystem fs = DaxFileSystem.mount(recorder, OPTIONS);
        unlinkWhileOpen(fs);
        TreeState expected = TreeState.capture(fs);
        recorder.checkpoint();
        fs.close();
        int checked = forEachImage(recorder, POLICY, (image, where) -> verify(image, expected, "unmount: " + where));
        assertTrue(checked > 10, "only " + checked + " images");
    }

    @Test
    void crashInsideMount() {
        RecordingDevice recorder = recorderWithTree();
        TreeState expected = treeOf(recorder);
        recorder.checkpoint();
        DaxFileSystem.mount(recorder, OPTIONS);
        int checked = forEachImage(recorder, POLICY, (image, where) -> verify(image, expected, "mount: " + where));
        assertTrue(checked > 4, "only " + checked + " images");
    }

    /**
     * A crash image of a workload is mounted (recovery: journal roll-back, allocator scan, orphans
     * reaped, superblock marked dirty) and power fails again during that recovery.
     */
    @Test
    void crashInsideRecovery() {
        RecordingDevice recorder = recorderWithTree();
        DaxFileSystem fs = DaxFileSystem.mount(recorder, OPTIONS);
        recorder.checkpoint();
        unlinkWhileOpen(fs);
        CrashOps.named("rename A/foo bar (replace)").runStep(fs, 0);
        CrashOps.named("exchange A bar").runStep(fs, 0);
        int[] recoveries = {0};
        int checked = forEachImage(recorder, INNER, (crashed, where) -> {
            TreeState expected;
            try (SegmentDevice copy = MemoryDevice.fromImage(MemoryDevice.snapshot(crashed))) {
                expected = treeOf(copy);
            }
            RecordingDevice again = new RecordingDevice(MemoryDevice.fromImage(MemoryDevice.snapshot(crashed)));
            DaxFileSystem.mount(again, OPTIONS);
            recoveries[0]++;
            forEachImage(again, INNER, (image, inner) -> verify(image, expected,
                    "recovery of workload image " + where + ", crash " + inner));
        });
        assertTrue(recoveries[0] > 10 && checked > 10, "only " + recoveries[0] + " recoveries");
    }

    /**
     * Power fails while unmount writes the superblocks, and again while the next mount writes them:
     * among the cases, a backup torn by the first crash and a primary torn by the second.
     */
    @Test
    void crashInUnmountThenInTheNextMount() {
        RecordingDevice recorder = recorderWithTree();
        DaxFileSystem fs = DaxFileSystem.mount(recorder, OPTIONS);
        TreeState expected = TreeState.capture(fs);
        recorder.checkpoint();
        fs.close();
        long backup = Superblock.backupOffsetFor(DEVICE_BYTES / Layout.BLOCK_SIZE);
        int[] tornBackupThenTornPrimary = {0};
        forEachImage(recorder, INNER, (afterUnmount, where) -> {
            boolean backupTorn = !intact(afterUnmount, backup);
            RecordingDevice again = new RecordingDevice(MemoryDevice.fromImage(MemoryDevice.snapshot(afterUnmount)));
            DaxFileSystem.mount(again, OPTIONS);
            forEachImage(again, INNER, (image, inner) -> {
                if (backupTorn && !intact(image, 0)) {
                    tornBackupThenTornPrimary[0]++;
                }
                verify(image, expected, "unmount crash " + where + ", then mount crash " + inner);
            });
        });
        assertTrue(tornBackupThenTornPrimary[0] > 0, "the torn backup, then torn primary case was not reached");
    }

    private static RecordingDevice recorderWithTree() {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(DEVICE_BYTES));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        try (DaxFileSystem fs = DaxFileSystem.mount(recorder, OPTIONS)) {
            CrashOps.setup(fs);
        }
        return recorder;
    }

    /** Leaves an open, unlinked file: an orphan for unmount (or recovery) to delete. */
    private static void unlinkWhileOpen(DaxFileSystem fs) {
        CrashOps.named("open+unlink A/foo").runStep(fs, 0);
    }

    private static TreeState treeOf(DaxDevice device) {
        try (DaxFileSystem fs = DaxFileSystem.mount(device, OPTIONS)) {
            return TreeState.capture(fs);
        }
    }

    private static boolean intact(DaxDevice device, long offset) {
        try {
            Superblock.decode(device, offset);
            return true;
        } catch (CorruptImageException e) {
            return false;
        }
    }

    /**
     * Calls {@code check} with a device holding each image of each crash point of {@code recorder}
     * (a scratch device, rewritten for every image); returns how many images there were.
     */
    private static int forEachImage(RecordingDevice recorder, CrashImages.Policy policy,
            BiConsumer<DaxDevice, String> check) {
        int count = 0;
        try (SegmentDevice target = MemoryDevice.allocate(recorder.size())) {
            for (int p = 0; p < recorder.crashPointCount(); p++) {
                CrashState state = recorder.crashState(p);
                for (CrashImage image : state.images(policy)) {
                    image.copyTo(target);
                    check.accept(target, image.describe());
                    count++;
                }
            }
        }
        return count;
    }

    /** The checker finds no error, and two mounts in a row show {@code expected}. Changes {@code image}. */
    private static void verify(DaxDevice image, TreeState expected, String where) {
        CheckReport report = Checker.check(image);
        if (!report.errors().isEmpty()) {
            fail("the checker finds damage in a crash image: " + where + "\n" + report);
        }
        for (int mount = 1; mount <= 2; mount++) {
            try (DaxFileSystem fs = DaxFileSystem.mount(image, OPTIONS)) {
                assertEquals(expected, TreeState.capture(fs), "mount " + mount + " of " + where);
            } catch (RuntimeException e) {
                throw new AssertionError("crash image does not mount (mount " + mount + "): " + where, e);
            }
        }
    }
}
