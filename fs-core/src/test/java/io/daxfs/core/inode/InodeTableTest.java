package io.daxfs.core.inode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** {@link InodeTable}'s scan of the records in use: word and chunk boundaries, the last record. */
class InodeTableTest {
    @Test
    void theScanFindsExactlyTheRecordsInUse() {
        try (DaxDevice device = MemoryDevice.allocate(64L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(9000));
            long count = Superblock.read(device).layout().inodeCount();
            BitSet expected = new BitSet();
            expected.set(0); // reserved
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                expected.set((int) fs.rootIno());
                for (int i = 0; i < count - 2; i++) { // every record: the last chunk's end included
                    expected.set((int) fs.create(fs.rootIno(), "f" + i, 0100644, 0, 0, 0).ino());
                }
                for (int i = 0; i < count - 2; i++) {
                    // holes at and around word (64) and chunk (4096) boundaries, and a scatter
                    if (i % 64 == 62 || i % 64 == 63 || i % 4096 < 3 || i % 7 == 0) {
                        long ino = fs.lookup(fs.rootIno(), "f" + i);
                        fs.unlink(fs.rootIno(), "f" + i);
                        expected.clear((int) ino);
                    }
                }
            }
            assertEquals(count, expected.length(), "the last record is in use");
            InodeTable table = new InodeTable(device, Superblock.read(device).layout());
            assertEquals(expected, table.usedSnapshot());
            assertEquals(expected.cardinality() - 1, table.usedCount());
        }
    }
}
