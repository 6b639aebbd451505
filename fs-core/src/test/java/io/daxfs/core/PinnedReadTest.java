package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.file.PinnedRead;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link DaxFileSystem#pinRead}: the zero-copy read reply's view of a file range. It shows the
 * bytes of the range, holes as zeros, and keeps them while a truncate, punch or overwrite races
 * it: those neither wait for it nor let its blocks be reused before it is closed.
 */
class PinnedReadTest {
    private static final int LENGTH = 64 * 1024;

    private static byte[] concat(PinnedRead read) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (MemorySegment s : read.segments()) {
            out.writeBytes(s.toArray(ValueLayout.JAVA_BYTE));
        }
        return out.toByteArray();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void segmentsHoldTheRangeWithHolesAsZerosCutAtEof() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, pattern(5000, 1));
            write(fs, f, 3 * 4096 + 100, pattern(9000, 2)); // a hole in between, EOF mid-page
            long size = fs.getattr(f).size();
            for (long[] range : new long[][] {{0, size}, {0, 2 << 20}, {4000, 9000}, {4097, 10}, {12000, 100_000},
                    {size - 1, 10}}) {
                byte[] expected = FsFixture.read(fs, f, range[0], (int) Math.min(range[1], size));
                try (PinnedRead read = fs.pinRead(f, range[0], range[1])) {
                    assertEquals(expected.length, read.length(), Arrays.toString(range));
                    assertArrayEquals(expected, concat(read), Arrays.toString(range));
                    assertTrue(read.segments().stream().allMatch(MemorySegment::isReadOnly));
                }
            }
            try (PinnedRead past = fs.pinRead(f, size, 4096); PinnedRead far = fs.pinRead(f, Long.MAX_VALUE, 4096)) {
                assertEquals(0, past.length());
                assertEquals(List.of(), past.segments());
                assertEquals(0, far.length());
            }
            assertEquals(0, fs.stats().pinnedBytes(), "every pin was dropped");
            assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> fs.pinRead(f, -1, 10)).errno());
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            assertEquals(Errno.EISDIR, assertThrows(FsException.class, () -> fs.pinRead(d, 0, 10)).errno());
        }
    }

    /**
     * The race: a reply's slices of the device stay valid while the file is truncated, punched
     * and overwritten and the device is filled up by another file. The control shows what an
     * unpinned reply would send: someone else's data.
     */
    @Test
    void truncatePunchAndOverwriteDoNotWaitAndDoNotReusePinnedBlocks() throws Exception {
        try (DaxFileSystem fs = mount(formattedDevice(4 << 20));
                ExecutorService other = Executors.newSingleThreadExecutor()) {
            long pinnedFile = createFile(fs, fs.rootIno(), "pinned");
            long unpinnedFile = createFile(fs, fs.rootIno(), "unpinned");
            byte[] old = pattern(LENGTH, 7);
            write(fs, pinnedFile, 0, old);
            write(fs, unpinnedFile, 0, old);
            long freeBefore = fs.statfs().freeBlocks();
            PinnedRead read = fs.pinRead(pinnedFile, 0, LENGTH);
            MemorySegment unpinned = fs.volume().device()
                    .directAccess(io.daxfs.core.format.Layout.offsetOf(
                            fs.volume().inode(unpinnedFile).extents().find(0).block()), LENGTH);

            Future<?> changes = other.submit(() -> {
                write(fs, pinnedFile, 0, pattern(LENGTH, 9)); // copy-on-write overwrite
                fs.fallocate(pinnedFile, FileData.PUNCH_HOLE | FileData.KEEP_SIZE, 0, LENGTH / 2);
                fs.truncate(pinnedFile, 0);
                fs.truncate(unpinnedFile, 0);
            });
            changes.get(10, TimeUnit.SECONDS); // returns while the read is still pinned: nothing waits for it
            assertEquals(LENGTH, fs.stats().deferredBytes(), "the pinned file's old blocks wait for the pin");

            long filler = createFile(fs, fs.rootIno(), "filler");
            byte[] junk = new byte[4096];
            Arrays.fill(junk, (byte) 0x5a);
            try {
                for (long off = 0; ; off += junk.length) {
                    write(fs, filler, off, junk);
                }
            } catch (FsException full) {
                assertEquals(Errno.ENOSPC, full.errno());
            }
            assertArrayEquals(old, concat(read), "the pinned reply still shows the bytes it was made of");
            assertFalse(Arrays.equals(old, unpinned.toArray(ValueLayout.JAVA_BYTE)),
                    "control: an unpinned reply's blocks were reused by another file");

            read.close();
            read.close();
            assertEquals(0, fs.stats().deferredBytes());
            assertEquals(0, fs.stats().pinnedBytes());
            fs.unlink(fs.rootIno(), "filler");
            assertEquals(freeBefore + 2 * LENGTH / 4096, fs.statfs().freeBlocks(), "every block came back");
        }
    }

    /** Replies pinned while another thread keeps overwriting and truncating always show one whole version. */
    @Test
    void concurrentPinnedReadsSeeOneVersion() throws Exception {
        try (DaxFileSystem fs = mount(formattedDevice(16 << 20));
                ExecutorService writer = Executors.newSingleThreadExecutor()) {
            long f = createFile(fs, fs.rootIno(), "f");
            byte[] fill = new byte[LENGTH];
            Arrays.fill(fill, (byte) 1);
            write(fs, f, 0, fill);
            AtomicBoolean stop = new AtomicBoolean();
            Future<?> changes = writer.submit(() -> {
                for (int v = 2; !stop.get(); v++) {
                    Arrays.fill(fill, (byte) v);
                    write(fs, f, 0, fill);
                    if (v % 5 == 0) {
                        fs.truncate(f, 0);
                        write(fs, f, 0, fill);
                    }
                }
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            int reads = 0;
            while (System.nanoTime() < deadline) {
                try (PinnedRead read = fs.pinRead(f, 0, LENGTH)) {
                    byte[] bytes = concat(read);
                    for (byte b : bytes) {
                        if (b != bytes[0]) {
                            throw new AssertionError("a pinned reply mixes versions " + b + " and " + bytes[0]);
                        }
                    }
                    reads++;
                }
            }
            stop.set(true);
            changes.get(10, TimeUnit.SECONDS);
            assertTrue(reads > 10, "reads made: " + reads);
            assertEquals(0, fs.stats().pinnedBytes());
            assertEquals(0, fs.stats().deferredBytes());
        }
    }

    @Test
    void unmountDropsPinsLeftOpen() {
        var device = formattedDevice(4 << 20);
        long free;
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, pattern(LENGTH, 3));
            fs.pinRead(f, 0, LENGTH); // never closed
            fs.truncate(f, 0);
            free = fs.statfs().freeBlocks() + LENGTH / 4096;
        }
        try (DaxFileSystem fs = mount(device)) {
            assertEquals(free, fs.statfs().freeBlocks(), "the deferred blocks were freed before the allocator was saved");
        }
    }
}
