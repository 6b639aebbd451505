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

    /** An image, not cleanly unmounted, with /f holding CONTENT; {@code tail}: the offset of /f's tail word. */
    private record Image(DaxDevice device, long tail) {}

    private static Image image() {
        DaxDevice device = FsFixture.formattedDevice(4 << 20);
        long f;
        try (DaxFileSystem fs = FsFixture.mount(device)) {
            f = FsFixture.createFile(fs, fs.rootIno(), "f");
            FsFixture.write(fs, f, 0, CONTENT);
        }
        ImageCrafter crafter = new ImageCrafter(device);
        crafter.markDirty();
        return new Image(device, crafter.layout().inodeOffset(f) + InodeTable.TAIL);
    }

    @Test
    void aLaneWhoseRecordsFailTheStateChecksumIsClearedNotRolledBack() {
        Image image = image();
        DaxDevice device = image.device();
        long tail = image.tail();
        long committed = device.getLong(tail);
        // An intact lane would undo /f's creation (its tail back to 0); one record byte differs
        // from what the state's checksum was computed over.
        new ImageCrafter(device).setJournal(LANE, new long[] {tail}, new long[] {0});
        flipByte(device, Journal.laneOffset(LANE) + 24);

        assertMountsWithFIntact(device, tail, committed);
    }

    @Test
    void theStateOfANewOperationOverTheLaneEarlierRecordsIsTorn() {
        Image image = image();
        DaxDevice device = image.device();
        long tail = image.tail();
        long committed = device.getLong(tail);
        // A completed operation left its records in the lane (state idle); the next one's state
        // reached the media, its records did not.
        new ImageCrafter(device).setJournal(LANE, new long[] {tail}, new long[] {0});
        long base = Journal.laneOffset(LANE);
        device.storeRelease(base, 0);
        long newState = Journal.ACTIVE | Integer.toUnsignedLong(recordsCrc(tail, committed));
        device.storeRelease(base, newState);
        device.flush(base, 8);
        device.fence();
        assertTrue(Journal.torn(device, LANE));

        assertMountsWithFIntact(device, tail, committed);
    }

    @Test
    void aWholeActiveLaneIsStillRolledBack() {
        Image image = image();
        DaxDevice device = image.device();
        long tail = image.tail();
        new ImageCrafter(device).setJournal(LANE, new long[] {tail}, new long[] {0});
        assertFalse(Journal.torn(device, LANE));
        CheckReport report = Checker.check(device);
        assertTrue(report.has(Kind.JOURNAL_ACTIVE), report.problems().toString());

        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            assertEquals(0, device.getLong(tail), "the interrupted creation was not undone");
        }
    }

    private static void assertMountsWithFIntact(DaxDevice device, long tail, long committed) {
        assertTrue(Journal.torn(device, LANE));
        assertEquals(null, Journal.damage(device, new ImageCrafter(device).layout(), LANE));
        CheckReport report = Checker.check(device);
        assertTrue(report.has(Kind.JOURNAL_TORN), report.problems().toString());
        assertFalse(report.has(Kind.JOURNAL_ACTIVE) || report.has(Kind.JOURNAL_DAMAGED), report.problems().toString());
        assertTrue(report.clean(), report.problems().toString());

        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            assertEquals(committed, device.getLong(tail), "a torn lane was rolled back");
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
