package io.daxfs.core.crash;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.SegmentDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.testing.crash.CrashImage;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Crash states of a log head trim ({@code gc.LogCompactor}): random 4 KiB overwrites of a file
 * fragmented page by page grow its log past the point where compaction takes its oldest segments
 * off the head; a power failure anywhere in the write that does so must leave the file as before
 * or after that write, with a clean check. The workload is too large for {@link CrashStateTest}'s
 * 1 MiB device, so only the one write is recorded.
 */
class LogTrimCrashTest {
    private static final long DEVICE_BYTES = 32L << 20;
    private static final int PAGES = 2048;
    private static final int PAGE = 4096;
    private static final int MAX_WRITES = 40_000;

    @Test
    void aCrashAnywhereInAHeadTrimLeavesTheFileBeforeOrAfterTheWrite() {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(DEVICE_BYTES));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        DaxFileSystem fs = DaxFileSystem.mount(recorder, CrashStateTest.OPTIONS);
        long f = fs.create(fs.rootIno(), "f", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        List<TreeState> states = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE);
            for (int p = 0; p < PAGES; p++) {
                fs.write(f, (long) p * PAGE, page.fill((byte) p));
            }
            Random random = new Random(5);
            for (int i = 0; i < MAX_WRITES && states == null; i++) {
                Inode inode = fs.volume().inode(f);
                InodeLog before = inode.log();
                // The next write may compact: record it alone.
                boolean compactsNext = before.usedBytes() + PAGE >= inode.compactionThreshold();
                List<TreeState> around = new ArrayList<>();
                if (compactsNext) {
                    recorder.checkpoint();
                    around.add(TreeState.capture(fs));
                }
                fs.write(f, (long) random.nextInt(PAGES) * PAGE, page.fill((byte) i));
                InodeLog after = fs.volume().inode(f).log();
                // A trim keeps the old log's later segments behind a new head; the thorough form keeps none.
                boolean trimmed = after != before && after.segmentCount() > 1 && contains(before, after.segment(1))
                        && !contains(before, after.head());
                if (compactsNext && trimmed) {
                    recorder.mark("1");
                    around.add(TreeState.capture(fs));
                    states = around;
                }
            }
        }
        assertNotNull(states, "no write trimmed the log's head in " + MAX_WRITES + " random overwrites");
        int points = recorder.crashPointCount();
        assertTrue(points > 3, "a trimming write makes several fences, recorded " + points);
        try (SegmentDevice target = MemoryDevice.allocate(DEVICE_BYTES)) {
            for (int p = 0; p < points; p++) {
                var state = recorder.crashState(p);
                int completed = state.lastMark() == null ? 0 : 1;
                for (CrashImage image : state.images(CrashStateTest.POLICY)) {
                    image.copyTo(target);
                    CrashStateTest.verify(target, "a write that trims the log's head", states, completed, image);
                }
            }
        }
    }

    private static boolean contains(InodeLog log, long segment) {
        for (int i = 0; i < log.segmentCount(); i++) {
            if (log.segment(i) == segment) {
                return true;
            }
        }
        return false;
    }
}
