package io.daxfs.core.inode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * {@link InodeTable}'s scan of the records in use (word and chunk boundaries, the last record), and
 * how it hands out numbers: per thread from chunks of its own, every free number before ENOSPC.
 */
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

    /** A table of {@code records} records on a freshly formatted device: the root's is the one in use. */
    private static InodeTable table(DaxDevice device, long records) {
        DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(records));
        return new InodeTable(device, Superblock.read(device).layout());
    }

    @Test
    void twoThreadsTakeNumbersThatShareNoWordOfTheSet() throws Exception {
        try (DaxDevice device = MemoryDevice.allocate(64L << 20)) {
            InodeTable table = table(device, 3 * InodeTable.CHUNK);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<List<Long>>> taken = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    taken.add(pool.submit(() -> {
                        List<Long> mine = new ArrayList<>();
                        for (int i = 0; i < 1000; i++) {
                            mine.add(table.reserve());
                        }
                        return mine;
                    }));
                }
                Set<Long> words = new HashSet<>();
                for (long ino : taken.get(0).get()) {
                    words.add(ino >>> 6);
                }
                for (long ino : taken.get(1).get()) {
                    assertTrue(!words.contains(ino >>> 6), "number " + ino + " shares a word with the other thread's");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void everyFreeNumberIsHandedOutOnceBeforeEnospc() throws Exception {
        try (DaxDevice device = MemoryDevice.allocate(64L << 20)) {
            InodeTable table = table(device, 2 * InodeTable.CHUNK + 100); // a last chunk cut short
            long count = table.inodeCount();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            BitSet all = new BitSet();
            try {
                List<Future<BitSet>> taken = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    taken.add(pool.submit(() -> {
                        BitSet mine = new BitSet();
                        while (true) {
                            try {
                                mine.set((int) table.reserve());
                            } catch (FsException e) {
                                assertEquals(Errno.ENOSPC, e.errno());
                                return mine;
                            }
                        }
                    }));
                }
                for (Future<BitSet> f : taken) {
                    BitSet mine = f.get();
                    assertTrue(!mine.intersects(all), "a number handed out twice");
                    all.or(mine);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(count - 2, all.cardinality(), "every number but 0 and the root's");
            assertEquals(count - 1, table.usedCount());

            BitSet freed = new BitSet();
            for (long ino : new long[] {2, 63, 64, InodeTable.CHUNK - 1, InodeTable.CHUNK, count - 1}) {
                table.release(ino);
                freed.set((int) ino);
            }
            BitSet again = new BitSet();
            for (int i = 0; i < freed.cardinality(); i++) {
                again.set((int) table.reserve());
            }
            assertEquals(freed, again);
            FsException full = assertThrows(FsException.class, table::reserve);
            assertEquals(Errno.ENOSPC, full.errno());
        }
    }
}
