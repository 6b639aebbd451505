package io.daxfs.core.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FsFixture;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.Problem.Kind;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.journal.Journal;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A journal lane's records and its state word share one fence, so a crash can leave the state of
 * a new operation over records that are not all its own. Such a torn lane must be cleared, never
 * rolled back: its operation stored no commit word yet, and the records it points at may be an
 * earlier, completed operation's, whose undo would destroy it.
 */
class TornJournalLaneTest {
    private static final int LANE = 3;
    private static final byte[] CONTENT = FsFixture.bytes("durable before the crash");

    /**
     * An image, not cleanly unmounted, with /f holding CONTENT, and lane {@link #LANE} active with
     * whole records that would undo /f's creation (its tail back to 0); {@code tail}: the offset of
     * /f's tail word, {@code committed}: its value.
     */
    private record Image(DaxDevice device, long tail, long committed) {}

    private static Image image() {
        DaxDevice device = FsFixture.formattedDevice(4 << 20);
        long f;
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            f = FsFixture.createFile(fs, fs.rootIno(), "f");
            FsFixture.write(fs, f, 0, CONTENT);
        }
        ImageCrafter crafter = new ImageCrafter(device);
        crafter.markDirty();
        long tail = crafter.layout().inodeOffset(f) + InodeTable.TAIL;
        crafter.setJournal(LANE, new long[] {tail}, new long[] {0});
        return new Image(device, tail, device.getLong(tail));
    }

    @Test
    void aLaneWhoseRecordsFailTheStateChecksumIsClearedNotRolledBack() {
        Image image = image();
        // One record byte differs from what the state's checksum was computed over.
        flipByte(image.device(), Journal.laneOffset(LANE) + 24);

        assertMountsWithFIntact(image);
    }

    @Test
    void theStateOfANewOperationOverTheLaneEarlierRecordsIsTorn() {
        Image image = image();
        DaxDevice device = image.device();
        // The records are a completed operation's, left in the lane; the state word is the next
        // operation's, which reached the media before its records did.
        long base = Journal.laneOffset(LANE);
        long newState = Journal.ACTIVE | Integer.toUnsignedLong(recordsCrc(image.tail(), image.committed()));
        device.storeRelease(base, newState);
        device.flush(base, 8);
        device.fence();

        assertMountsWithFIntact(image);
    }

    @Test
    void aWholeActiveLaneIsStillRolledBack() {
        Image image = image();
        DaxDevice device = image.device();
        assertFalse(Journal.torn(device, LANE));
        CheckReport report = Checker.check(device);
        assertTrue(report.has(Kind.JOURNAL_ACTIVE), report.problems().toString());

        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            assertEquals(0, device.getLong(image.tail()), "the interrupted creation was not undone");
        }
    }

    private static void assertMountsWithFIntact(Image image) {
        DaxDevice device = image.device();
        assertTrue(Journal.torn(device, LANE));
        assertEquals(null, Journal.damage(device, new ImageCrafter(device).layout(), LANE));
        CheckReport report = Checker.check(device);
        assertTrue(report.has(Kind.JOURNAL_TORN), report.problems().toString());
        assertFalse(report.has(Kind.JOURNAL_ACTIVE) || report.has(Kind.JOURNAL_DAMAGED), report.problems().toString());
        assertTrue(report.clean(), report.problems().toString());

        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            assertEquals(image.committed(), device.getLong(image.tail()), "a torn lane was rolled back");
            assertEquals(0, device.getLong(Journal.laneOffset(LANE)), "the torn lane is idle after mount");
            long f = fs.lookup(fs.rootIno(), "f");
            assertArrayEquals(CONTENT, FsFixture.readAll(fs, f));
        }
        assertTrue(Checker.check(device).problems().isEmpty(), Checker.check(device).problems().toString());
    }

    private static void flipByte(DaxDevice device, long offset) {
        long word = offset & ~7L;
        device.storeRelease(word, device.getLong(word) ^ (0xffL << (8 * (offset - word))));
        device.flush(word, 8);
        device.fence();
    }

    /** The checksum a lane's state carries for the one record (offset, old value). */
    private static int recordsCrc(long offset, long oldValue) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment body = arena.allocate(32, 8);
            body.set(Layouts.INT, 12, 1);
            body.set(Layouts.LONG, 16, offset);
            body.set(Layouts.LONG, 24, oldValue);
            return Checksums.crc32c(body, 12, 20);
        }
    }
}
