package io.daxfs.core.rebuild;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.log.LogSegment;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What every log on the device uses and names, read once on several threads: the blocks in use
 * (log pages, packed pages of log slots, file data and xattr values), the log slots in use, the blocks two owners
 * claim (a slot claimed twice, or a packed page also used whole, makes its page one), and the names
 * and link count of every inode. The one scan of the logs: the recovery after a crash and the verification of a clean
 * mount (issue #13) both take it ({@link Recovery}, {@link MountVerification}).
 *
 * <p>It builds no inodes. Each log is walked with the engine's {@link LogReader} (so it checks
 * pages, entries and checksums exactly as a load does) and counted as it goes, for the shapes
 * nearly every log has: attribute entries, file writes that each map pages no earlier write
 * mapped, directory names added once each. Any other log (overwrites, truncations, removed or
 * repeated names, xattrs, damage) is loaded whole by the {@link InodeLoader} and counted from the
 * inode, so the census always says what a load of that inode would use and name.
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
        this.used = merged.used;
        this.used.or(merged.packed);
        this.slots = merged.slots;
        this.shared = merged.shared;
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
    public static LogCensus take(InodeTable table, LogReader reader, InodeLoader loader, BitSet inUse, int threads) {
        int inodeLimit = inUse.length();
        List<Counter> counters = ParallelInodeScan.run(inUse, table.inodeCount(), threads,
                () -> new Counter(table, reader, loader, inodeLimit));
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

    /** Thrown inside a log walk when the log is not of a shape the counter reads itself. */
    private static final class NotSimple extends RuntimeException {
        NotSimple() {
            super(null, null, false, false);
        }
    }

    private static final NotSimple NOT_SIMPLE = new NotSimple();

    /** One scanning thread's counts; reuses its buffers from inode to inode. */
    private static final class Counter implements ParallelInodeScan.Visitor, LogReader.Visitor {
        private final InodeTable table;
        private final LogReader reader;
        private final InodeLoader loader;
        private final Layout layout;
        /** Blocks used whole: log pages and file data. */
        final BitSet used;
        final SlotSet slots = new SlotSet();
        /** The blocks of {@link #slots}. */
        final BitSet packed = new BitSet();
        final BitSet shared;
        long inodes;
        long loadedWhole;
        /** Names per inode number; names of inodes not in use at the start are not counted. */
        int[] names;
        long[] expected = new long[1024];
        int expectedCount;

        // the inode being walked
        private int entries;
        private boolean directory;
        private boolean symlink;
        private long links;
        private long size;
        private long pagesEnd;
        private long[] runs = new long[16];
        private int runCount;
        private long[] targets = new long[64];
        private int targetCount;
        private final NameSet seen = new NameSet();

        Counter(InodeTable table, LogReader reader, InodeLoader loader, int inodeLimit) {
            this.names = new int[inodeLimit];
            this.table = table;
            this.reader = reader;
            this.loader = loader;
            this.layout = reader.layout();
            this.used = new BitSet((int) layout.totalBlocks());
            this.shared = new BitSet();
        }

        @Override
        public void visit(long ino) {
            InodeTable.Record record = table.read(ino);
            if (!record.inUse()) {
                return;
            }
            InodeLog log = null;
            if (record.crcValid()) {
                entries = 0;
                runCount = 0;
                targetCount = 0;
                pagesEnd = 0;
                seen.clear();
                try {
                    log = reader.read(ino, record.head(), record.tail(), this);
                    if (entries == 0 || size < 0 || size > (symlink ? Layout.BLOCK_SIZE - 1 : Layout.MAX_FILE_SIZE)) {
                        log = null;
                    }
                } catch (NotSimple e) {
                    log = null;
                }
            }
            if (log == null) {
                countLoaded(ino);
                return;
            }
            inodes++;
            markLog(log);
            for (int i = 0; i < runCount; i += 2) {
                mark(runs[i], runs[i + 1]);
            }
            for (int i = 0; i < targetCount; i++) {
                addName(targets[i]);
            }
            expect(ino, directory ? (ino == Layout.ROOT_INO ? 0 : 1) : links);
        }

        /** One committed entry of the log being walked; {@link #NOT_SIMPLE} when it needs a load. */
        @Override
        public void entry(LogEntry entry, long deviceOffset) {
            if (entries++ == 0) {
                if (!(entry instanceof InodeEntry first)) {
                    throw NOT_SIMPLE;
                }
                FileKind kind;
                try {
                    kind = FileKind.fromMode(first.mode());
                } catch (FsException e) {
                    throw NOT_SIMPLE;
                }
                directory = kind == FileKind.DIRECTORY;
                symlink = kind == FileKind.SYMLINK;
                links = Integer.toUnsignedLong(first.nlink());
                size = first.size();
                return;
            }
            switch (entry) {
                case InodeEntry e -> {
                    links = Integer.toUnsignedLong(e.nlink());
                    size = e.size();
                }
                case WriteEntry w -> write(w);
                case DentryAdd d -> name(d);
                default -> throw NOT_SIMPLE;
            }
        }

        /** A write that maps only pages no earlier write touched (the loader's bounds checks first). */
        private void write(WriteEntry w) {
            if (directory || w.pgoff() < pagesEnd || w.count() < 1
                    || w.count() > Layout.MAX_FILE_SIZE / Layout.BLOCK_SIZE - w.pgoff()) {
                throw NOT_SIMPLE;
            }
            if (!w.isHole()) {
                if (!layout.isDataBlock(w.block()) || w.count() > layout.dataEndBlock() - w.block()) {
                    throw NOT_SIMPLE;
                }
                if (runCount + 2 > runs.length) {
                    runs = Arrays.copyOf(runs, runs.length * 2);
                }
                runs[runCount++] = w.block();
                runs[runCount++] = w.count();
            }
            pagesEnd = w.pgoff() + w.count();
            size = w.size();
        }

        /** A name added to a directory for the first time (a repeated one replaces: load). */
        private void name(DentryAdd d) {
            if (!directory || !seen.add(d.name().hash64())) {
                throw NOT_SIMPLE;
            }
            try {
                FileKind.fromMode(d.kindBits());
            } catch (FsException e) {
                throw NOT_SIMPLE;
            }
            if (targetCount == targets.length) {
                targets = Arrays.copyOf(targets, targetCount * 2);
            }
            targets[targetCount++] = d.ino();
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
            markLog(inode.log());
            if (inode.extents() != null) {
                for (FileExtents.Run run : inode.extents().runs()) {
                    mark(run.block(), run.count());
                }
            }
            inode.forEachXattrBlock(this::mark);
            if (inode.isDirectory()) {
                for (DirEntry d : inode.directory().all()) {
                    addName(d.ino());
                }
            }
            expect(ino, inode.isDirectory() ? (ino == Layout.ROOT_INO ? 0 : 1)
                    : Integer.toUnsignedLong(inode.attrs().nlink()));
        }

        private void markLog(InodeLog log) {
            for (int i = 0; i < log.segmentCount(); i++) {
                long segment = log.segment(i);
                if (LogSegment.isSlot(segment)) {
                    int block = (int) LogSegment.block(segment);
                    if (!slots.add(LogSegment.offset(segment)) || used.get(block)) {
                        shared.set(block);
                    }
                    packed.set(block);
                } else {
                    mark(segment, 1);
                }
            }
        }

        /** Marks blocks used whole; one already used, or a packed page, is shared. */
        private void mark(long block, long count) {
            if (count == 1) {
                if (used.get((int) block) || packed.get((int) block)) {
                    shared.set((int) block);
                } else {
                    used.set((int) block);
                }
                return;
            }
            int from = (int) block;
            int to = (int) (block + count);
            for (int b = used.nextSetBit(from); b >= 0 && b < to; b = used.nextSetBit(b + 1)) {
                shared.set(b);
            }
            for (int b = packed.nextSetBit(from); b >= 0 && b < to; b = packed.nextSetBit(b + 1)) {
                shared.set(b);
            }
            used.set(from, to);
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
            BitSet both = (BitSet) used.clone();
            both.and(other.used);
            shared.or(both);
            both = (BitSet) used.clone();
            both.and(other.packed);
            shared.or(both);
            both = (BitSet) packed.clone();
            both.and(other.used);
            shared.or(both);
            slots.addAll(other.slots, shared);
            shared.or(other.shared);
            used.or(other.used);
            packed.or(other.packed);
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

    /**
     * The hashes of the names of one directory, to tell a name added twice (which replaces the
     * first: the counter then loads the directory). A hash seen twice is treated as a repeat, so
     * a rare collision costs a load, never a wrong count. Cleared in O(1) per directory.
     */
    private static final class NameSet {
        private long[] keys = new long[256];
        private int[] stamps = new int[256];
        private int stamp = 1;
        private int size;

        void clear() {
            stamp++;
            size = 0;
            if (stamp == Integer.MAX_VALUE) {
                Arrays.fill(stamps, 0);
                stamp = 1;
            }
        }

        /** Adds {@code hash}; false if it was there. */
        boolean add(long hash) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int i = (int) (mix(hash) & mask);
            while (stamps[i] == stamp) {
                if (keys[i] == hash) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            stamps[i] = stamp;
            keys[i] = hash;
            size++;
            return true;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldStamps = stamps;
            int live = stamp;
            keys = new long[oldKeys.length * 2];
            stamps = new int[oldKeys.length * 2];
            stamp = 1;
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldStamps[i] == live) {
                    add(oldKeys[i]);
                }
            }
        }

        private static long mix(long h) {
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            return h ^ (h >>> 33);
        }
    }
}
