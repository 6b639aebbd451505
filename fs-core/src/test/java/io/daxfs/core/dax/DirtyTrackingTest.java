package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.testing.crash.CrashState;
import io.daxfs.core.testing.crash.RecordingDevice;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** fsync under writeback=fsync flushes exactly the dirty pages; under writeback=sync it flushes nothing. */
class DirtyTrackingTest {
    private static final MountOptions FSYNC = MountOptions.defaults().withWriteback(MountOptions.Writeback.FSYNC);

    @Test
    void fsyncFlushesExactlyTheDirtyPages() {
        FlushLoggingDevice device = new FlushLoggingDevice(MemoryDevice.allocate(16 << 20));
        DaxFileSystem.format(device, FormatOptions.defaults());
        try (DaxFileSystem fs = DaxFileSystem.mount(device, FSYNC)) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.write(f, 0, MemorySegment.ofArray(new byte[1 << 20]));
            fs.fsync(f, false);
            fs.write(f, 5000, MemorySegment.ofArray(new byte[100]));
            fs.write(f, 300_000, MemorySegment.ofArray(new byte[10_000]));
            fs.write(f, 5100, MemorySegment.ofArray(new byte[10]));
            assertEquals(4 * 4096, fs.stats().dirtyBytes(), "pages 1, 73, 74, 75 are dirty");

            Set<Long> expected = new HashSet<>();
            Inode inode = fs.volume().inode(f);
            for (long page : new long[] {1, 73, 74, 75}) {
                FileExtents.Run run = inode.extents().find(page);
                expected.add(Layout.offsetOf(run.blockOf(page)));
            }
            device.flushes.clear();
            fs.fsync(f, false);
            Set<Long> flushedPages = new HashSet<>();
            for (long[] flush : device.flushes) {
                for (long at = flush[0]; at < flush[0] + flush[1]; at += 4096) {
                    flushedPages.add(at);
                }
            }
            assertEquals(expected, flushedPages, "fsync flushes the dirty pages and nothing else");
            assertEquals(0, fs.stats().dirtyBytes());
            device.flushes.clear();
            fs.fsync(f, false);
            assertEquals(0, device.flushedBytes(), "a second fsync has nothing to flush");
        }
    }

    @Test
    void syncWritebackFlushesAsItWritesAndFsyncOnlyFences() {
        FlushLoggingDevice device = new FlushLoggingDevice(MemoryDevice.allocate(16 << 20));
        DaxFileSystem.format(device, FormatOptions.defaults());
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.write(f, 0, MemorySegment.ofArray(new byte[100_000]));
            assertEquals(0, fs.stats().dirtyBytes());
            device.flushes.clear();
            fs.fsync(f, false);
            assertEquals(0, device.flushedBytes());
        }
    }

    @Test
    void afterFsyncEveryDirtiedLineIsDurable() {
        RecordingDevice recorder = new RecordingDevice(MemoryDevice.allocate(4 << 20));
        DaxFileSystem.format(recorder, FormatOptions.defaults());
        DaxFileSystem fs = DaxFileSystem.mount(recorder, FSYNC);
        long f = createFile(fs, fs.rootIno(), "f");
        byte[] zeros = new byte[64 * 1024];
        fs.write(f, 0, MemorySegment.ofArray(zeros));
        fs.fsync(f, false);
        recorder.checkpoint();
        byte[] data = new byte[64 * 1024];
        Arrays.fill(data, (byte) 0x5a);
        fs.write(f, 0, MemorySegment.ofArray(data));
        CrashState beforeFsync = recorder.crashState(recorder.fenceCount());
        fs.fsync(f, false);
        CrashState afterFsync = recorder.crashState(recorder.fenceCount());

        Inode inode = fs.volume().inode(f);
        long at = Layout.offsetOf(inode.extents().find(0).block());
        byte[] durable = Arrays.copyOfRange(afterFsync.durableImage(), (int) at, (int) at + data.length);
        assertArrayEquals(data, durable, "after fsync every dirtied line is durable");
        byte[] unsure = Arrays.copyOfRange(beforeFsync.durableImage(), (int) at, (int) at + data.length);
        assertTrue(!Arrays.equals(data, unsure), "before fsync the cached stores are not yet durable");
    }
}
