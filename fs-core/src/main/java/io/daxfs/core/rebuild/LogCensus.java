package io.daxfs.core.rebuild;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogReader;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * What every log on the device uses and names, read once on several threads: the blocks in use
 * (log pages, packed pages of log slots, file data and xattr values), the log slots in use, the blocks two owners
 * claim (a slot claimed twice, or a packed page also used whole, makes its page one), and the names
 * and link count of every inode. The one scan of the logs: the recovery after a crash and the verification of a clean
 * mount (issue #13) both take it ({@link Recovery}, {@link MountVerification}).
 *
 * <p>It builds no inodes. Each log is walked with the engine's {@link LogReader} (so it checks
 * pages, entries and checksums exactly as a load does) and counted as it goes ({@link LogShape})
 * into a {@link BlockTally}. Any log not of the simple shape is loaded whole by the
 * {@link InodeLoader} and counted from the inode, so the census always says what a load of that
 * inode would use and name.
 */
public final class LogCensus {
    /** Blocks used by the inodes counted, packed pages included. */
    private final BitSet used;
    /** The log slots the counted logs start in. */
    private final SlotSet slots;
    /** Blocks used twice (by two inodes, or twice by one). */
    private final BitSet shared;
    private final long inodes;
    private final long loadedWhole;
    /** Per inode number (below the highest in use at the start), the directory entries naming it. */
    private final int[] names;
    /** Pairs (inode, names it should have), in no order. */
    private final long[] expected;
    private final int expectedCount;

    private LogCensus(Counter merged) {
        this.used = merged.blocks.used();
        this.slots = merged.blocks.slots();
        this.shared = merged.blocks.shared();
        this.inodes = merged.inodes;
        this.loadedWhole = merged.loadedWhole;
        this.names = merged.names;
        this.expected = merged.expected;
        this.expectedCount = merged.expectedCount;
    }

    /**
     * Counts every inode of {@code inUse} on up to {@code threads} threads. An inode freed
     * meanwhile (the verification of a clean mount runs beside a live filesystem) is skipped:
     * its blocks wait in the allocator.
     *
     * @throws io.daxfs.core.log.LogCorruptException if a log is damaged (the lowest inode's)
     */
    public static LogCensus take(InodeTable table, LogReader reader, InodeLoader loader, BitSet inUse, int threads,
            BooleanSupplier stop) {
        int inodeLimit = inUse.length();
        List<Counter> counters = ParallelInodeScan.run(inUse, table.inodeCount(), threads,
                () -> new Counter(table, reader, loader, inodeLimit), stop);
        Counter all = counters.getFirst();
        for (int i = 1; i < counters.size(); i++) {
            all.merge(counters.get(i));
        }
        return new LogCensus(all);
    }

    /** The blocks the counted inodes use. */
    public BitSet used() {
        return used;
    }

    /** The log slots in use (each inode's log starts in one, or in a whole page). */
    public SlotSet slots() {
        return slots;
    }

    /** Blocks used by two owners (or twice by one); empty on a consistent image. */
    public BitSet shared() {
        return shared;
    }

    /** Inodes counted. */
    public long inodes() {
        return inodes;
    }

    /** Inodes whose logs were not of a shape counted as read, and were loaded whole. */
    public long loadedWhole() {
        return loadedWhole;
    }

    /** How many directory entries name inode {@code ino}. */
    public int namesOf(long ino) {
        return ino >= 0 && ino < names.length ? names[(int) ino] : 0;
    }

    /**
     * Inodes whose names do not match the count they carry (a directory should have one name,
     * the root none). Orphans (no name, count 0) match; a file with a count of 0 and a name, or 1
     * and 3,000 names, does not.
     */
    public Set<Long> wrongLinkCounts() {
        Set<Long> wrong = new HashSet<>();
        for (int i = 0; i < expectedCount; i += 2) {
            if (namesOf(expected[i]) != expected[i + 1]) {
                wrong.add(expected[i]);
            }
        }
        return wrong;
    }

    /** One scanning thread's counts; reuses its buffers from inode to inode. */
    private static final class Counter implements ParallelInodeScan.Visitor {
        private final InodeTable table;
        private final LogReader reader;
        private final InodeLoader loader;
        private final LogShape shape;
        final BlockTally blocks;
        long inodes;
        long loadedWhole;
        /** Names per inode number; names of inodes not in use at the start are not counted. */
        int[] names;
        long[] expected = new long[1024];
        int expectedCount;

        Counter(InodeTable table, LogReader reader, InodeLoader loader, int inodeLimit) {
            this.names = new int[inodeLimit];
            this.table = table;
            this.reader = reader;
            this.loader = loader;
            this.shape = new LogShape(reader.layout(), (entry, offset) -> { });
            this.blocks = new BlockTally(reader.layout().totalBlocks());
        }

        @Override
        public void visit(long ino) {
            InodeTable.Record record = table.read(ino);
            if (!record.inUse()) {
                return;
            }
            InodeLog log = record.crcValid() ? shape.read(reader, ino, record.head(), record.tail()) : null;
            if (log == null) {
                countLoaded(ino);
                return;
            }
            inodes++;
            blocks.markLog(log);
            for (int i = 0; i < shape.runs(); i++) {
                blocks.mark(shape.runBlock(i), shape.runCount(i));
            }
            for (int i = 0; i < shape.names(); i++) {
                addName(shape.target(i));
            }
            boolean directory = shape.kind() == FileKind.DIRECTORY;
            expect(ino, directory ? (ino == Layout.ROOT_INO ? 0 : 1) : shape.links());
        }

        /** Loads {@code ino} whole and counts what the inode holds. */
        private void countLoaded(long ino) {
            Inode inode;
            try {
                inode = loader.loadOrThrow(ino);
            } catch (FsException e) {
                if (e.errno() == Errno.ENOENT) {
                    return; // freed since the walk began: its blocks wait in the allocator
                }
                throw e;
            }
            inodes++;
            loadedWhole++;
            blocks.markInode(inode);
            if (inode.isDirectory()) {
                for (DirEntry d : inode.directory().all()) {
                    addName(d.ino());
                }
            }
            expect(ino, inode.isDirectory() ? (ino == Layout.ROOT_INO ? 0 : 1)
                    : Integer.toUnsignedLong(inode.attrs().nlink()));
        }

        private void addName(long ino) {
            if (ino >= 0 && ino < names.length) {
                names[(int) ino]++;
            }
        }

        private void expect(long ino, long count) {
            if (expectedCount + 2 > expected.length) {
                expected = Arrays.copyOf(expected, expected.length * 2);
            }
            expected[expectedCount++] = ino;
            expected[expectedCount++] = count;
        }

        /** Takes in {@code other}'s counts; a block both used is shared. */
        void merge(Counter other) {
            blocks.merge(other.blocks);
            inodes += other.inodes;
            loadedWhole += other.loadedWhole;
            for (int i = 0; i < names.length; i++) {
                names[i] += other.names[i];
            }
            expected = Arrays.copyOf(expected, expectedCount + other.expectedCount);
            System.arraycopy(other.expected, 0, expected, expectedCount, other.expectedCount);
            expectedCount += other.expectedCount;
        }
    }
}
