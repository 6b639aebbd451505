package io.daxfs.core.check;

import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.Name;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.check.Analysis.InodeInfo;
import io.daxfs.core.check.Analysis.NameRef;
import io.daxfs.core.check.Problem.Kind;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.EntryCodec;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.DentryDel;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogEntry.XattrDel;
import io.daxfs.core.log.LogEntry.XattrRef;
import io.daxfs.core.log.LogEntry.XattrSet;
import io.daxfs.core.log.LogEntry.XattrValue;
import io.daxfs.core.log.LogPage;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.rebuild.BlockTally;
import io.daxfs.core.rebuild.LogShape;
import io.daxfs.core.rebuild.ParallelInodeScan;
import io.daxfs.core.namei.Names;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The consistency checker: verifies every invariant of docs/FORMAT.md on an unmounted image and
 * reports each violation as a {@link Problem} (issue #3 point 7). It only reads the device.
 *
 * <p>What it checks, in order: both superblock copies (magic, checksum, version, geometry) and
 * that they agree; the journal (idle, or active with valid records: then everything after is
 * checked as the roll-back will leave it); every in-use inode record (checksum, head) and its log
 * (pages in the data area, magic, owner, no cycles, tail on an entry boundary, entry checksums,
 * first entry INODE, every entry valid for the inode's kind); symlink targets; that no block is
 * referenced twice; the orphan slots; directory entries (live target of the right kind), one
 * name per directory and its parent field, a tree connected from the root, link counts of
 * non-directories; and on a clean image, the saved free list against the used blocks.
 *
 * <p>It counts as the mount's log census does: a log that is whole, of the shape nearly every
 * log has ({@link LogShape}) and valid for its kind is read once, by the engine's own
 * {@link LogReader} (so the checker is never more lenient than mount), into its kind, links,
 * parent, names and a {@link BlockTally}, with no inode built. Only the other logs are walked
 * entry by entry and replayed, and only an image with a block of two owners has every inode
 * replayed to tell which owner keeps it. A million small files take one read of each log.
 *
 * <p>It never throws on any input (an unexpected failure becomes a {@link Kind#CHECK_ABORTED}
 * problem), never reads outside the device, and every walk is bounded by the number of data
 * blocks, so damaged media cannot make it loop.
 */
public final class Checker {
    /** Progress and cancellation; called from the checking thread. */
    public interface Listener {
        Listener NONE = (phase, done, total) -> { };

        void progress(String phase, long done, long total);

        /** Polled now and then; true makes the check stop with {@link CancelledException}. */
        default boolean cancelled() {
            return false;
        }
    }

    /** The listener asked to stop. */
    public static final class CancelledException extends RuntimeException {
        public CancelledException() {
            super("check cancelled");
        }
    }

    private static final long MAX_FILE_PAGES = Layout.MAX_FILE_SIZE / Layout.BLOCK_SIZE;

    private final DaxDevice device;
    private final Listener listener;
    private final Analysis a;
    /** The blocks the counted inodes use (taken in by {@link #blocks}). */
    private BlockTally tally;

    private Checker(DaxDevice device, Listener listener) {
        this.device = device;
        this.listener = listener;
        this.a = new Analysis(device);
    }

    public static CheckReport check(DaxDevice device) {
        return check(device, Listener.NONE);
    }

    /**
     * Checks the unmounted image on {@code device}.
     *
     * @throws CancelledException if {@code listener} asked to stop
     */
    public static CheckReport check(DaxDevice device, Listener listener) {
        Checker checker = new Checker(device, listener);
        try {
            checker.run();
        } catch (CancelledException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            checker.a.add(Kind.CHECK_ABORTED, 0, 0, "checker stopped: " + e, null);
        }
        return new CheckReport(checker.a.problems(), checker.a.stats, checker.a.superblock, checker.a);
    }

    private void run() {
        if (!superblocks()) {
            return;
        }
        journal();
        inodes();
        blocks();
        namespace();
        orphans();
        tree();
        allocator();
        stats();
    }

    // ---- superblocks ----

    private boolean superblocks() {
        listener.progress("superblocks", 0, 1);
        String primaryError = null;
        String backupError = null;
        try {
            a.primary = Superblock.decode(device, 0);
        } catch (CorruptImageException e) {
            if (e.unsupported()) {
                a.add(Kind.UNSUPPORTED_FORMAT, 0, 0, "primary superblock: " + e.getMessage(), null);
                return false;
            }
            primaryError = e.getMessage();
        }
        long backupBlock = a.primary != null ? a.primary.totalBlocks() - 1 : device.size() / Layout.BLOCK_SIZE - 1;
        try {
            a.backup = Superblock.decode(device, Layout.offsetOf(backupBlock));
        } catch (CorruptImageException e) {
            if (e.unsupported() && a.primary == null) {
                a.add(Kind.UNSUPPORTED_FORMAT, 0, 0, "backup superblock: " + e.getMessage(), null);
                return false;
            }
            backupError = e.getMessage();
        }
        if (a.primary == null && a.backup == null) {
            a.add(Kind.SUPERBLOCK_UNUSABLE, 0, 0, "no usable superblock: primary: " + primaryError + "; backup (block "
                    + backupBlock + "): " + backupError, null);
            return false;
        }
        if (a.primary == null) {
            Superblock good = a.backup;
            boolean torn = good.isTornTwinAt(device, 0);
            a.add(torn ? Kind.SUPERBLOCK_TORN : Kind.SUPERBLOCK_PRIMARY_BAD, 0, 0, "primary superblock unusable ("
                    + primaryError + ")" + (torn ? ", torn by a crash during its update" : "") + "; the backup is good",
                    ctx -> good.writeBoth(ctx.device()));
        } else if (a.backup == null) {
            Superblock good = a.primary;
            boolean torn = good.isTornTwinAt(device, Layout.offsetOf(backupBlock));
            a.add(torn ? Kind.SUPERBLOCK_TORN : Kind.SUPERBLOCK_BACKUP_BAD, 0, backupBlock, "backup superblock in block "
                    + backupBlock + " unusable (" + backupError + ")" + (torn ? ", torn by a crash during its update" : ""),
                    ctx -> good.writeBoth(ctx.device()));
        } else {
            Superblock p = a.primary;
            Superblock b = a.backup;
            if (p.totalBlocks() != b.totalBlocks() || p.inodeCount() != b.inodeCount() || !p.uuid().equals(b.uuid())) {
                a.add(Kind.SUPERBLOCK_MISMATCH, 0, backupBlock, "superblock copies disagree: primary " + p.totalBlocks()
                        + " blocks, " + p.inodeCount() + " inodes, uuid " + p.uuid() + "; backup " + b.totalBlocks()
                        + " blocks, " + b.inodeCount() + " inodes, uuid " + b.uuid(), ctx -> p.writeBoth(ctx.device()));
            } else if (!Arrays.equals(device.directAccess(0, 512).toArray(Layouts.BYTE),
                    device.directAccess(Layout.offsetOf(backupBlock), 512).toArray(Layouts.BYTE))) {
                a.add(Kind.SUPERBLOCK_STALE_BACKUP, 0, backupBlock, "backup superblock differs from the primary "
                        + "(an interrupted superblock update)", ctx -> p.writeBoth(ctx.device()));
            }
        }
        a.superblock = a.primary != null ? a.primary : a.backup;
        a.layout = a.superblock.layout();
        return true;
    }

    private boolean clean() {
        return a.superblock.state() == Superblock.State.CLEAN;
    }

    // ---- journal ----

    private void journal() {
        for (int lane = 0; lane < Journal.LANES; lane++) {
            lane(lane);
        }
    }

    /**
     * Checks one journal lane as {@link Journal#recover} reads it. Lanes never name the same word
     * at once, so each active lane's undo joins the overlay on its own.
     */
    private void lane(int lane) {
        long base = Journal.laneOffset(lane);
        if (device.getLong(base) == 0) {
            return;
        }
        String damage = Journal.damage(device, a.layout, lane);
        if (damage != null) {
            a.add(Kind.JOURNAL_DAMAGED, 0, Layout.JOURNAL_BLOCK, damage + "; the operation cannot be rolled back",
                    ctx -> ctx.publish(base, 0));
            return;
        }
        Layout layout = a.layout;
        Analysis.Fix fix = ctx -> new Journal(ctx.device()).recoverLane(layout, lane);
        if (Journal.torn(device, lane)) {
            a.add(clean() ? Kind.JOURNAL_ACTIVE_ON_CLEAN : Kind.JOURNAL_TORN, 0, Layout.JOURNAL_BLOCK,
                    "journal lane " + lane + " was torn by a crash before its operation stored anything"
                            + " (its records fail their checksum), will be cleared", fix);
            return;
        }
        long[][] records = Journal.records(device, lane);
        for (long[] record : records) {
            // Records are undone in order: the last one for an offset wins, as in recover().
            a.overlay.put(record[0], record[1]);
        }
        String what = "interrupted operation in journal lane " + lane + " (" + records.length
                + " commit words), will be rolled back";
        if (clean()) {
            a.add(Kind.JOURNAL_ACTIVE_ON_CLEAN, 0, Layout.JOURNAL_BLOCK,
                    "journal active on a cleanly unmounted filesystem: " + what, fix);
        } else {
            a.add(Kind.JOURNAL_ACTIVE, 0, Layout.JOURNAL_BLOCK, what, fix);
        }
    }

    // ---- inodes and their logs ----

    /**
     * Reads which records are in use as mount does ({@link InodeTable}) and as the journal's
     * roll-back will leave them, then checks the logs on every processor ({@link
     * ParallelInodeScan}); the results are taken in inode order, so the report reads as a check on
     * one thread would write it.
     */
    private void inodes() {
        Layout layout = a.layout;
        long count = layout.inodeCount();
        BitSet inUse = new InodeTable(device, layout).usedSnapshot();
        inUse.clear(0);
        // The roll-back may give a record a tail or take it away.
        long tableStart = layout.inodeOffset(0);
        for (Map.Entry<Long, Long> undo : a.overlay.entrySet()) {
            long at = undo.getKey() - tableStart;
            if (at >= Layout.INODE_SIZE && at < count * Layout.INODE_SIZE && at % Layout.INODE_SIZE == InodeTable.TAIL) {
                inUse.set((int) (at / Layout.INODE_SIZE), undo.getValue() != 0);
            }
        }
        if (listener.cancelled()) {
            throw new CancelledException();
        }
        Thread caller = Thread.currentThread();
        List<LogChecks> parts = ParallelInodeScan.run(inUse, count, Runtime.getRuntime().availableProcessors(),
                () -> new LogChecks(caller, count), () -> false);
        List<InodeInfo> infos = new ArrayList<>(inUse.cardinality());
        List<Analysis.Finding> findings = new ArrayList<>();
        tally = parts.getFirst().tally;
        for (LogChecks part : parts) {
            infos.addAll(part.infos);
            findings.addAll(part.findings);
            if (part != parts.getFirst()) {
                tally.merge(part.tally);
            }
        }
        // Each part is in inode order: the sort merges runs.
        infos.sort(Comparator.comparingLong(info -> info.ino));
        a.setInodes(infos.toArray(InodeInfo[]::new), inUse);
        findings.sort(Comparator.comparingLong(f -> f.problem().ino()));
        a.findings.addAll(findings);
        listener.progress("inodes", count, count);
        InodeInfo root = a.info(Layout.ROOT_INO);
        if (root == null || !root.live || root.kind() != FileKind.DIRECTORY) {
            String why = root == null ? "its inode record is free" : !root.live ? "its inode is damaged"
                    : "inode 1 is a " + root.kind().name().toLowerCase() + ", not a directory";
            boolean clear = root != null && root.live;
            a.add(Kind.ROOT_MISSING, Layout.ROOT_INO, 0, "root directory missing: " + why, ctx -> {
                if (clear) {
                    ctx.publish(ctx.tailOffset(Layout.ROOT_INO), 0);
                }
                ctx.createRoot();
            });
            if (root != null) {
                root.live = false;
            }
        }
    }

    /** An inode record as the roll-back leaves it: commit words, generation, checksum. */
    private record Record(long ino, long tail, long head, long generation, boolean crcValid) {}

    /**
     * One checking thread's share of the logs: the inodes it read, what it found, in its order,
     * and the blocks the counted ones use. A log that is whole, of the simple shape and valid for
     * its kind is read once by the engine's {@link LogReader} and counted ({@link LogShape}); any
     * other is walked by the checker, which says where and how it is damaged, and replayed.
     */
    private final class LogChecks implements ParallelInodeScan.Visitor, LogReader.Visitor {
        private final Thread caller;
        private final long count;
        private final LogReader reader = new LogReader(device, a.layout);
        private final LogShape shape = new LogShape(a.layout, this);
        final BlockTally tally = new BlockTally(a.layout.totalBlocks());
        final List<InodeInfo> infos = new ArrayList<>();
        final List<Analysis.Finding> findings = new ArrayList<>();
        /** Names of directories the directory being counted adds. */
        private final List<NameRef> dirNames = new ArrayList<>();
        private long walking;

        LogChecks(Thread caller, long count) {
            this.caller = caller;
            this.count = count;
        }

        @Override
        public void visit(long ino) {
            if (Thread.currentThread() == caller && infos.size() % 4096 == 0) {
                listener.progress("inodes", ino, count);
                if (listener.cancelled()) {
                    throw new CancelledException();
                }
            }
            long recordOffset = a.layout.inodeOffset(ino);
            MemorySegment rec = device.directAccess(recordOffset, Layout.INODE_SIZE);
            boolean crcValid = rec.get(Layouts.INT, InodeTable.CRC)
                    == Checksums.crc32c(rec, InodeTable.GENERATION, InodeTable.CRC - InodeTable.GENERATION);
            Record record = new Record(ino, a.word(recordOffset + InodeTable.TAIL),
                    a.word(recordOffset + InodeTable.HEAD), rec.get(Layouts.LONG, InodeTable.GENERATION), crcValid);
            InodeInfo info = crcValid ? counted(record) : null;
            if (info == null) {
                info = new InodeInfo(ino);
                checkInode(info, record, findings);
            }
            infos.add(info);
        }

        /** The inode counted from its log, or null if the checker must walk it. */
        private InodeInfo counted(Record record) {
            long ino = record.ino();
            walking = ino;
            dirNames.clear();
            InodeLog log;
            try {
                log = shape.read(reader, ino, record.head(), record.tail());
            } catch (RuntimeException e) {
                return null; // damaged: the walk says where and how
            }
            if (log == null || (shape.kind() == FileKind.SYMLINK && !symlinkWhole())) {
                return null;
            }
            InodeInfo info = new InodeInfo(ino);
            info.live = true;
            info.kind = shape.kind();
            info.nlink = (int) shape.links();
            info.parent = shape.parent();
            info.logBlocks = log.ownedBlocks();
            tally.markLog(log);
            for (int i = 0; i < shape.runs(); i++) {
                tally.mark(shape.runBlock(i), shape.runCount(i));
                info.dataPages += shape.runCount(i);
            }
            if (info.kind == FileKind.DIRECTORY) {
                long[] targets = new long[shape.names()];
                int[] kinds = new int[targets.length];
                for (int i = 0; i < targets.length; i++) {
                    targets[i] = shape.target(i);
                    kinds[i] = shape.targetKind(i);
                }
                info.entries = new Analysis.Entries(targets, kinds, List.copyOf(dirNames));
            }
            return info;
        }

        /** A symlink's target: one block at page 0 and a size of 1..4095 (else the walk says what is wrong). */
        private boolean symlinkWhole() {
            return shape.size() >= 1 && shape.runs() == 1 && shape.runPage(0) == 0 && shape.runCount(0) == 1;
        }

        /** Every entry of a counted log must be valid for its kind, as the walk requires. */
        @Override
        public void entry(LogEntry entry, long deviceOffset) {
            if (invalidFor(shape.kind(), entry) != null) {
                throw LogShape.NOT_SIMPLE;
            }
            if (entry instanceof DentryAdd d) {
                if (d.name().isEmpty() || !validName(d.name())) {
                    throw LogShape.NOT_SIMPLE; // the namespace check of the replayed directory says why
                }
                if (FileKind.fromMode(d.kindBits()) == FileKind.DIRECTORY) {
                    dirNames.add(new NameRef(walking, d.name(), d.cookie()));
                }
            }
        }
    }

    private static boolean validName(Name name) {
        try {
            Names.check(name);
            return true;
        } catch (FsException e) {
            return false;
        }
    }

    /** Result of walking one log. */
    private static final class Walk {
        final List<Long> pages = new ArrayList<>();
        Inode inode;
        /** End of the last valid entry; -1 if there is none. */
        long lastGoodEnd = -1;
        /** Number of pages up to and including the one holding {@link #lastGoodEnd}. */
        int goodPages;
        String error;
    }

    /** Walks one inode's log and replays its valid prefix; what it finds goes to {@code out}. */
    private void checkInode(InodeInfo info, Record record, List<Analysis.Finding> out) {
        long ino = info.ino;
        Walk w = walk(ino, record.head(), record.tail());
        if (w.error == null) {
            String engine = engineDisagrees(record);
            if (engine != null) {
                w.error = "the engine's log reader rejects it: " + engine;
            }
        }
        if (w.inode == null) {
            String why = w.error != null ? w.error : "log has no valid first entry";
            out.add(Analysis.finding(Kind.INODE_LOST, ino, 0, "inode " + ino + " is beyond saving: " + why
                    + (record.crcValid() ? "" : " (and its record fails its checksum)"),
                    ctx -> ctx.publish(ctx.tailOffset(ino), 0)));
            return;
        }
        if (w.error != null && !record.crcValid()) {
            out.add(Analysis.finding(Kind.INODE_LOST, ino, 0, "inode " + ino + ": record fails its checksum and its log is damaged: "
                    + w.error, ctx -> ctx.publish(ctx.tailOffset(ino), 0)));
            return;
        }
        info.live = true;
        List<Long> kept = w.error == null ? w.pages : w.pages.subList(0, w.goodPages);
        long[] pages = kept.stream().mapToLong(Long::longValue).toArray();
        long validTail = w.error == null ? record.tail() : w.lastGoodEnd;
        w.inode.replaceLog(new InodeLog(pages.length == 0 ? new long[] {record.head()} : pages,
                Math.max(1, pages.length), validTail));
        info.replayed(w.inode);
        if (w.error != null) {
            long cut = validTail;
            long lost = record.tail() - cut;
            out.add(Analysis.finding(Kind.LOG_DAMAGED, ino, 0, "inode " + ino + ": " + w.error + "; log will be cut at byte " + cut
                    + (w.pages.size() == w.goodPages && lost > 0 && lost < Layout.BLOCK_SIZE
                            ? " (" + lost + " bytes of entries lost)" : ""),
                    ctx -> ctx.publish(ctx.tailOffset(ino), cut)));
        } else if (!record.crcValid()) {
            long head = record.head();
            long generation = record.generation();
            out.add(Analysis.finding(Kind.INODE_RECORD_CHECKSUM, ino, 0, "inode " + ino + ": record fails its checksum (its log is whole)",
                    ctx -> ctx.rewriteRecord(ino, head, generation)));
        }
        if (info.kind() == FileKind.SYMLINK) {
            Inode inode = info.inode;
            List<FileExtents.Run> runs = inode.extents().runs();
            long size = inode.size();
            String bad = null;
            if (size < 1 || size >= Layout.BLOCK_SIZE) {
                bad = "target size " + size + " is not within 1..4095";
            } else if (runs.size() != 1 || runs.getFirst().pgoff() != 0 || runs.getFirst().count() != 1) {
                bad = "its target block is missing (" + runs.size() + " extents)";
            }
            if (bad != null) {
                info.live = false;
                out.add(Analysis.finding(Kind.SYMLINK_BAD, ino, 0, "symlink " + ino + ": " + bad,
                        ctx -> ctx.publish(ctx.tailOffset(ino), 0)));
            }
        }
    }

    /**
     * Runs the engine's own {@link LogReader} over a log this checker found whole, so that the
     * checker is never more lenient than mount. Returns its complaint, or null.
     */
    private String engineDisagrees(Record record) {
        try {
            new LogReader(device, a.layout).read(record.ino(), record.head(), record.tail(), (entry, offset) -> { });
            return null;
        } catch (LogCorruptException e) {
            return e.getMessage();
        }
    }

    /**
     * Walks the log of {@code ino} from {@code head} to {@code tail}: every page in the data area,
     * with the log magic, owned by {@code ino}, visited once; every entry whole, with a good
     * checksum and valid for the inode's kind; the tail on an entry boundary of a page of the
     * chain. Stops at the first violation, remembering the end of the last valid entry.
     */
    private Walk walk(long ino, long head, long tail) {
        Layout layout = a.layout;
        Walk w = new Walk();
        Set<Long> visited = new HashSet<>();
        long block = head;
        long maxPages = layout.dataBlocks();
        while (true) {
            String where = w.pages.isEmpty() ? "head" : LogSegment.describe(w.pages.getLast()) + ": next";
            if (!LogSegment.isValid(block, layout)) {
                w.error = where + " pointer " + block + " is outside the data area";
                return w;
            }
            if (!w.pages.isEmpty() && LogSegment.isSlot(block)) {
                w.error = where + " pointer " + block + " names a log slot (only a head may)";
                return w;
            }
            if (!visited.add(block) || visited.size() > maxPages) {
                w.error = LogSegment.describe(w.pages.getLast()) + ": next pointer " + block
                        + " loops back into the chain (a cycle)";
                return w;
            }
            long base = LogSegment.offset(block);
            int size = LogSegment.size(block);
            MemorySegment page = device.directAccess(base, size);
            if (page.get(Layouts.LONG, 0) != LogSegment.magic(block)) {
                w.error = (LogSegment.isSlot(block) ? LogSegment.describe(block) : "block " + block)
                        + (w.pages.isEmpty() ? " (head)" : " (after " + LogSegment.describe(w.pages.getLast()) + ")")
                        + " is not a log " + (LogSegment.isSlot(block) ? "slot" : "page") + " (bad magic)";
                return w;
            }
            long owner = page.get(Layouts.LONG, LogPage.OWNER_OFFSET);
            if (owner != ino) {
                w.error = LogSegment.describe(block) + " belongs to inode " + owner;
                return w;
            }
            w.pages.add(block);
            if (w.inode == null) {
                // The head page: a cut before any entry would leave nothing.
                w.goodPages = 0;
            }
            boolean tailHere = tail > base && tail <= base + size;
            long end = tailHere ? tail - base : size;
            if (tailHere && (end < LogPage.FIRST_ENTRY || end % 8 != 0)) {
                w.error = "tail " + tail + " is not at an entry boundary of " + LogSegment.describe(block);
                return w;
            }
            long pos = LogPage.FIRST_ENTRY;
            while (pos < end) {
                LogEntry entry;
                try {
                    entry = EntryCodec.decode(page, pos, size - pos);
                } catch (LogCorruptException e) {
                    w.error = LogSegment.describe(block) + ": " + e.getMessage();
                    return w;
                }
                int length = EntryCodec.lengthAt(page, pos);
                if (pos + length > end) {
                    w.error = "tail " + tail + " falls inside the entry at byte " + (base + pos);
                    return w;
                }
                if (entry != null) {
                    String bad = accept(w, ino, entry);
                    if (bad != null) {
                        w.error = "log entry at byte " + (base + pos) + " (" + LogSegment.describe(block) + "): " + bad;
                        return w;
                    }
                }
                pos += length;
                if (w.inode != null) {
                    w.lastGoodEnd = base + pos;
                    w.goodPages = w.pages.size();
                }
            }
            if (tailHere) {
                return w;
            }
            long next = page.get(Layouts.LONG, LogPage.NEXT_OFFSET);
            if (next == 0) {
                w.error = "log ends at " + LogSegment.describe(block) + " before reaching its tail " + tail;
                return w;
            }
            block = next;
        }
    }

    /** Validates {@code entry} for the inode being walked and applies it; returns what is wrong, or null. */
    private String accept(Walk w, long ino, LogEntry entry) {
        if (w.inode == null) {
            if (!(entry instanceof InodeEntry first)) {
                return "the first entry is not an INODE entry";
            }
            FileKind kind;
            try {
                kind = FileKind.fromMode(first.mode());
            } catch (FsException e) {
                return "the first entry has an unknown file type (mode " + Integer.toOctalString(first.mode()) + ")";
            }
            String bad = checkAttrs(first, kind);
            if (bad != null) {
                return bad;
            }
            w.inode = new Inode(ino, 0, first, new InodeLog(new long[] {w.pages.getFirst()}, 1,
                    LogSegment.firstEntryOffset(w.pages.getFirst())));
            return null;
        }
        FileKind kind = w.inode.kind();
        String bad = invalidFor(kind, entry);
        if (bad != null) {
            return bad;
        }
        try {
            w.inode.apply(entry, (block, count) -> { });
        } catch (RuntimeException e) {
            return "entry does not fit a " + kindName(kind) + ": " + e.getMessage();
        }
        return null;
    }

    /** What makes {@code entry} invalid in the log of a {@code kind} (the first entry included), or null. */
    private String invalidFor(FileKind kind, LogEntry entry) {
        return switch (entry) {
            case InodeEntry e -> (e.mode() & FileKind.S_IFMT) != kind.typeBits()
                    ? "INODE entry changes the file type to mode " + Integer.toOctalString(e.mode())
                    : checkAttrs(e, kind);
            case WriteEntry e -> checkWrite(e, kind);
            case DentryAdd e -> kind != FileKind.DIRECTORY ? "DENTRY_ADD in a " + kindName(kind)
                    : checkDentryAdd(e);
            case DentryDel e -> kind != FileKind.DIRECTORY ? "DENTRY_DEL in a " + kindName(kind) : null;
            case XattrSet e -> e.name().isEmpty() ? "XATTR_SET with an empty name" : null;
            case XattrRef e -> checkXattrRef(e);
            case XattrDel e -> null;
        };
    }

    private static String kindName(FileKind kind) {
        return kind.name().toLowerCase().replace('_', ' ');
    }

    private String checkAttrs(InodeEntry e, FileKind kind) {
        if (e.size() < 0 || e.size() > Layout.MAX_FILE_SIZE) {
            return "INODE entry has size " + e.size();
        }
        if (kind == FileKind.DIRECTORY && (e.parent() < 1 || e.parent() >= a.layout.inodeCount())) {
            return "INODE entry has parent " + e.parent() + ", not an inode number";
        }
        return null;
    }

    private String checkWrite(WriteEntry e, FileKind kind) {
        if (kind != FileKind.REGULAR && kind != FileKind.SYMLINK) {
            return "WRITE in a " + kindName(kind);
        }
        if (e.count() < 1 || e.pgoff() < 0 || e.pgoff() > MAX_FILE_PAGES - e.count()) {
            return "WRITE of pages " + e.pgoff() + "+" + e.count() + " is out of range";
        }
        if (e.block() != 0 && (!a.layout.isDataBlock(e.block()) || e.count() > a.layout.dataEndBlock() - e.block())) {
            return "WRITE points at blocks " + e.block() + "+" + e.count() + " outside the data area";
        }
        if (e.size() < 0 || e.size() > Layout.MAX_FILE_SIZE) {
            return "WRITE sets size " + e.size();
        }
        return null;
    }

    private String checkXattrRef(XattrRef e) {
        if (e.name().isEmpty()) {
            return "XATTR_REF with an empty name";
        }
        for (long block : e.blocks()) {
            if (!a.layout.isDataBlock(block)) {
                return "XATTR_REF '" + e.name() + "' points at block " + block + " outside the data area";
            }
        }
        return null;
    }

    private static String checkDentryAdd(DentryAdd e) {
        int kindBits = e.kindBits();
        try {
            FileKind.fromMode(kindBits);
        } catch (FsException ex) {
            return "DENTRY_ADD '" + e.name() + "' has an unknown kind " + (kindBits >> 12);
        }
        int length = e.name().length();
        if (length > Names.MAX_NAME_BYTES) { // an empty name is one bad entry: the name check drops it
            return "DENTRY_ADD has a name of " + length + " bytes";
        }
        return null;
    }

    // ---- blocks ----

    /**
     * The blocks in use. The counted inodes were tallied as their logs were read; the replayed
     * ones join the tally now. If no block has two owners (and no counted inode was lost since),
     * that is all. Otherwise every live inode is replayed and the blocks are given out one by one
     * in the order that decides which owner keeps a block ({@link #blocksOneByOne}): damaged
     * images only pay for that.
     */
    private void blocks() {
        listener.progress("blocks", 0, 1);
        boolean countedThenLost = false;
        for (InodeInfo info : a.inodes) {
            if (info.live && info.inode != null) {
                tally.markInode(info.inode);
            }
            // A root that is not a directory was counted, then found unusable: its blocks are not in use.
            countedThenLost |= !info.live && info.inode == null && info.kind != null;
        }
        if (tally.shared().isEmpty() && !countedThenLost) {
            a.used = tally.used();
            a.slots = tally.slots();
            tally = null;
            return;
        }
        tally = null;
        for (InodeInfo info : a.inodes) {
            if (info.live && info.inode == null) {
                List<Analysis.Finding> none = new ArrayList<>();
                Record record = new Record(info.ino, a.word(a.layout.inodeOffset(info.ino) + InodeTable.TAIL),
                        a.word(a.layout.inodeOffset(info.ino) + InodeTable.HEAD), 0, true);
                checkInode(info, record, none);
                a.findings.addAll(none); // none: the log was read whole and valid once already
            }
        }
        blocksOneByOne();
    }

    /**
     * Gives out blocks one owner at a time: log pages, then log slots, then file data in inode
     * order, then xattr values; an owner that comes to a block already given out loses it.
     */
    private void blocksOneByOne() {
        Layout layout = a.layout;
        BitSet used = a.used;
        for (InodeInfo info : a.inodes) {
            if (!info.live) {
                continue;
            }
            InodeLog log = info.inode.log();
            for (int i = info.inode.log().startsInSlot() ? 1 : 0; i < log.segmentCount(); i++) {
                long page = log.segment(i);
                if (used.get((int) page)) {
                    // Impossible while pages carry their owner; kept as a safety net.
                    logLost(info, page, "log page " + page + " is also used by another log");
                    break;
                }
                used.set((int) page);
            }
        }
        // Slots after whole pages: a slot inside another log's page is the one that is lost.
        for (InodeInfo info : a.inodes) {
            if (!info.live || !info.inode.log().startsInSlot()) {
                continue;
            }
            long slot = info.inode.log().head();
            long block = LogSegment.block(slot);
            if (used.get((int) block) && !a.slots.isPacked(block)) {
                logLost(info, block, LogSegment.describe(slot) + " lies in a block another log uses as a whole page");
            } else if (!a.slots.add(LogSegment.offset(slot))) {
                // Impossible while slots carry their owner; kept as a safety net.
                logLost(info, block, LogSegment.describe(slot) + " is also the head of another log");
            } else {
                used.set((int) block);
            }
        }
        for (InodeInfo info : a.inodes) {
            if (!info.live || info.inode.extents() == null) {
                continue;
            }
            for (FileExtents.Run run : info.inode.extents().runs()) {
                if (!layout.isDataBlock(run.block()) || run.count() > layout.dataEndBlock() - run.block()) {
                    continue; // cannot happen: WRITE entries were validated
                }
                int from = (int) run.block();
                int to = (int) (run.block() + run.count());
                for (int clash = used.nextSetBit(from); clash >= 0 && clash < to; clash = used.nextSetBit(clash + 1)) {
                    reportDoubleRef(info, run.pgoff() + (clash - run.block()), clash);
                }
                used.set(from, to);
            }
        }
        for (InodeInfo info : a.inodes) {
            if (info.live) {
                xattrBlocks(info, used);
            }
        }
    }

    /** The blocks of out-of-line xattr values: owned after logs and file data, so a value is the one that gives way. */
    private void xattrBlocks(InodeInfo info, BitSet used) {
        for (XattrValue v : List.copyOf(info.inode.xattrs().values())) {
            if (!(v instanceof XattrRef ref)) {
                continue;
            }
            for (long block : ref.blocks()) {
                if (used.get((int) block)) {
                    long ino = info.ino;
                    Name name = ref.name();
                    a.add(Kind.XATTR_BLOCK_DOUBLE_REF, ino, block, "inode " + ino + ": xattr '" + name
                            + "' keeps its value in block " + block + ", which is also used elsewhere; the xattr"
                            + " will be removed", ctx -> ctx.removeXattr(ino, name));
                    break;
                }
                used.set((int) block);
            }
        }
    }

    /** A log that shares a page or slot with another log is beyond saving: its inode is cleared. */
    private void logLost(InodeInfo info, long block, String why) {
        info.live = false;
        long ino = info.ino;
        a.add(Kind.INODE_LOST, ino, block, "inode " + ino + ": " + why, ctx -> ctx.publish(ctx.tailOffset(ino), 0));
    }

    private void reportDoubleRef(InodeInfo info, long pgoff, long block) {
        long ino = info.ino;
        String other = null;
        boolean otherIsData = false;
        for (InodeInfo o : a.inodes) {
            if (o.live && other == null) {
                InodeLog log = o.inode.log();
                for (int i = 0; i < log.segmentCount(); i++) {
                    if (LogSegment.block(log.segment(i)) == block) {
                        other = (LogSegment.isSlot(log.segment(i)) ? "a packed page holding the log slot of inode "
                                : "log page of inode ") + o.ino;
                    }
                }
            }
        }
        for (InodeInfo o : a.inodes) {
            if (other != null || o.ino > ino) {
                break;
            }
            if (!o.live || o.inode.extents() == null) {
                continue;
            }
            for (FileExtents.Run r : o.inode.extents().runs()) {
                boolean covers = block >= r.block() && block < r.block() + r.count();
                boolean self = o == info && pgoff >= r.pgoff() && pgoff < r.end() && r.blockOf(pgoff) == block;
                if (covers && !self && other == null) {
                    other = "data of inode " + o.ino + (o == info ? " (another page of the same file)" : "");
                    otherIsData = true;
                }
            }
        }
        boolean copy = otherIsData;
        a.add(Kind.BLOCK_DOUBLE_REF, ino, block, "inode " + ino + ": file page " + pgoff + " uses block " + block
                + ", which is also " + (other == null ? "used elsewhere" : other)
                + (copy ? "; it will get its own copy" : "; it will become a hole"),
                ctx -> ctx.unshare(ino, pgoff, block, copy));
    }

    // ---- names ----

    /**
     * Checks every entry of every live directory (a live target of the kind it says, not the
     * root, a valid name, a cookie of its own), counts the names of files and keeps one name per
     * directory. A counted directory whose entries all pass is counted; one with a bad entry is
     * replayed, and its entries are dropped one by one.
     */
    private void namespace() {
        listener.progress("directories", 0, 1);
        Map<Long, List<NameRef>> dirNames = new HashMap<>();
        for (InodeInfo dir : a.inodes) {
            if (!dir.live || dir.kind() != FileKind.DIRECTORY) {
                continue;
            }
            InodeInfo[] targets = dir.entries == null ? null : passingTargets(dir.entries);
            if (targets != null) {
                countEntries(dir, targets, dirNames);
            } else {
                dir.entries = null;
                a.inode(dir);
                checkEntries(dir, dirNames);
            }
        }
        for (Map.Entry<Long, List<NameRef>> e : dirNames.entrySet()) {
            InodeInfo dir = a.live(e.getKey());
            List<NameRef> refs = e.getValue();
            NameRef keep = refs.stream().filter(r -> r.dir() == dir.parent).findFirst().orElse(refs.getFirst());
            dir.name = keep;
            a.live(keep.dir()).addChild(dir);
            for (NameRef r : refs) {
                if (r != keep) {
                    dropName(Kind.DIR_MULTIPLE_NAMES, r.dir(), new DirEntry(r.name(), dir.ino, FileKind.DIRECTORY,
                            r.cookie()), "directory " + dir.ino + " has a second name '" + r.name() + "' in directory "
                            + r.dir() + " (kept '" + keep.name() + "' in " + keep.dir() + ")");
                }
            }
        }
    }

    /** The inodes the counted entries name, or null unless each is live, of its kind and not the root. */
    private InodeInfo[] passingTargets(Analysis.Entries entries) {
        long[] inos = entries.targets();
        InodeInfo[] targets = new InodeInfo[inos.length];
        for (int i = 0; i < inos.length; i++) {
            InodeInfo target = a.live(inos[i]);
            if (target == null || inos[i] == Layout.ROOT_INO
                    || target.kind().typeBits() != (entries.kindBits()[i] & FileKind.S_IFMT)) {
                return null;
            }
            targets[i] = target;
        }
        return targets;
    }

    private void countEntries(InodeInfo dir, InodeInfo[] targets, Map<Long, List<NameRef>> dirNames) {
        Iterator<NameRef> dirRefs = dir.entries.dirNames().iterator();
        for (InodeInfo target : targets) {
            if (target.kind() == FileKind.DIRECTORY) {
                dirNames.computeIfAbsent(target.ino, k -> new ArrayList<>()).add(dirRefs.next());
            } else {
                target.nameCount++;
                dir.addChild(target);
            }
        }
        dir.entries = null;
    }

    /** The entries of a replayed directory, one by one: a bad one is dropped and says why. */
    private void checkEntries(InodeInfo dir, Map<Long, List<NameRef>> dirNames) {
        for (Name name : dir.inode.directory().renumbered()) {
            long dirIno = dir.ino;
            a.add(Kind.DENTRY_COOKIE_DUP, dirIno, 0, "directory " + dirIno + ": entry '" + name
                    + "' was added with the cookie of another entry", ctx -> ctx.renumber(dirIno, name));
        }
        for (DirEntry d : dir.inode.directory().all()) {
            String bad = null;
            Kind kind = null;
            try {
                Names.check(d.name());
            } catch (FsException e) {
                kind = Kind.DENTRY_BAD_NAME;
                bad = "has an invalid name (" + e.getMessage() + ")";
            }
            InodeInfo target = a.live(d.ino());
            if (bad == null && target == null) {
                kind = Kind.DENTRY_TO_FREE_INODE;
                bad = d.ino() <= 0 || d.ino() >= a.layout.inodeCount()
                        ? "points at inode " + d.ino() + ", outside the inode table"
                        : a.info(d.ino()) != null ? "points at damaged inode " + d.ino()
                                : "points at free inode " + d.ino();
            } else if (bad == null && d.ino() == Layout.ROOT_INO) {
                kind = Kind.DENTRY_TO_ROOT;
                bad = "names the root directory";
            } else if (bad == null && target.kind() != d.kind()) {
                kind = Kind.DENTRY_KIND_MISMATCH;
                bad = "says " + kindName(d.kind()) + " but inode " + d.ino() + " is a " + kindName(target.kind());
            }
            if (bad != null) {
                dropName(kind, dir.ino, d, "directory " + dir.ino + ": entry '" + d.name() + "' " + bad);
                continue;
            }
            if (target.kind() == FileKind.DIRECTORY) {
                dirNames.computeIfAbsent(d.ino(), k -> new ArrayList<>()).add(new NameRef(dir.ino, d.name(), d.cookie()));
            } else {
                target.nameCount++;
                dir.addChild(target);
            }
        }
    }

    private void dropName(Kind kind, long dirIno, DirEntry d, String message) {
        Name name = d.name();
        long cookie = d.cookie();
        a.add(kind, dirIno, 0, message, ctx -> ctx.dropName(dirIno, name, cookie));
    }

    // ---- orphans ----

    private void orphans() {
        listener.progress("orphans", 0, 1);
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            long slotOffset = OrphanTable.slotOffset(slot);
            long ino = a.word(slotOffset);
            if (ino == 0) {
                continue;
            }
            InodeInfo info = a.live(ino);
            String bad = null;
            if (ino < 0 || ino >= a.layout.inodeCount()) {
                bad = "holds " + ino + ", outside the inode table";
            } else if (info == null) {
                bad = "names inode " + ino + ", which is free or damaged";
            } else if (info.kind() == FileKind.DIRECTORY) {
                bad = "names directory " + ino;
            } else if (info.nlink != 0 || info.nameCount != 0) {
                bad = "names inode " + ino + ", which still has " + Math.max(info.nlink, info.nameCount) + " link(s)";
            } else if (a.orphans.containsKey(ino)) {
                bad = "names inode " + ino + " again (also in slot " + a.orphans.get(ino) + ")";
            }
            if (bad != null) {
                a.add(Kind.ORPHAN_SLOT_BAD, ino, 0, "orphan slot " + slot + " " + bad, ctx -> ctx.publish(slotOffset, 0));
                continue;
            }
            a.orphans.put(ino, slot);
            long orphan = ino;
            Analysis.Fix reap = ctx -> ctx.reap(orphan, slotOffset);
            if (clean()) {
                a.add(Kind.ORPHAN_ON_CLEAN, ino, 0, "inode " + ino + " is on the orphan list (slot " + slot
                        + ") of a cleanly unmounted filesystem", reap);
            } else {
                a.add(Kind.ORPHAN_PENDING, ino, 0, "inode " + ino + " is an orphan (slot " + slot
                        + "); it will be deleted", reap);
            }
        }
    }

    // ---- the tree ----

    private void tree() {
        listener.progress("connectivity", 0, 1);
        InodeInfo root = a.live(Layout.ROOT_INO);
        BitSet reachable = new BitSet();
        if (root != null && root.kind() == FileKind.DIRECTORY) {
            Deque<InodeInfo> queue = new ArrayDeque<>();
            reachable.set((int) root.ino);
            queue.add(root);
            while (!queue.isEmpty()) {
                InodeInfo dir = queue.poll();
                for (int i = 0; i < dir.childCount; i++) {
                    InodeInfo child = dir.children[i];
                    if (!reachable.get((int) child.ino)) {
                        reachable.set((int) child.ino);
                        if (child.kind() == FileKind.DIRECTORY) {
                            queue.add(child);
                        }
                    }
                }
            }
        } else {
            return; // ROOT_MISSING is reported; the tree is checked once there is a root
        }
        List<InodeInfo> unreachableDirs = new ArrayList<>();
        boolean topFound = false;
        for (InodeInfo info : a.inodes) {
            if (!info.live || reachable.get((int) info.ino)) {
                continue;
            }
            long ino = info.ino;
            if (info.kind() == FileKind.DIRECTORY) {
                unreachableDirs.add(info);
                if (info.name == null) {
                    topFound = true;
                    a.add(Kind.DISCONNECTED, ino, 0, "directory " + ino + " has no name (unreachable from the root)",
                            ctx -> ctx.attach(ino, null));
                }
            } else if (info.nameCount == 0 && !a.orphans.containsKey(ino)) {
                a.add(Kind.DISCONNECTED, ino, 0, kindName(info.kind()) + " " + ino + " has no name (link count "
                        + info.nlink + ") and is not on the orphan list", ctx -> ctx.attach(ino, null));
            }
        }
        if (!topFound && !unreachableDirs.isEmpty()) {
            InodeInfo breaker = unreachableDirs.getFirst();
            NameRef name = breaker.name;
            a.add(Kind.DISCONNECTED, breaker.ino, 0, "directories " + unreachableDirs.stream().map(i -> "" + i.ino)
                    .limit(8).toList() + " form a cycle unreachable from the root (directory " + breaker.ino
                    + " is named '" + name.name() + "' in " + name.dir() + ")", ctx -> ctx.attach(breaker.ino, name));
        }
        for (InodeInfo info : a.inodes) {
            if (!info.live || !reachable.get((int) info.ino)) {
                continue;
            }
            long ino = info.ino;
            if (info.kind() == FileKind.DIRECTORY) {
                long parent = ino == Layout.ROOT_INO ? Layout.ROOT_INO : info.name.dir();
                if (info.parent != parent) {
                    a.add(Kind.DIR_PARENT_WRONG, ino, 0, "directory " + ino + ": parent field says " + info.parent
                            + ", but its name is in " + parent, ctx -> ctx.setParent(ino, parent));
                }
            } else if (info.nlink != info.nameCount) {
                int names = info.nameCount;
                a.add(Kind.LINK_COUNT, ino, 0, kindName(info.kind()) + " " + ino + ": link count is " + info.nlink
                        + ", but it has " + names + " name" + (names == 1 ? "" : "s"), ctx -> ctx.setLinks(ino, names));
            }
        }
    }

    // ---- allocator ----

    private void allocator() {
        listener.progress("free space", 0, 1);
        Layout layout = a.layout;
        if (!clean()) {
            a.add(Kind.NOT_CLEAN, 0, 0, "filesystem was not cleanly unmounted; mount will rebuild the allocator",
                    ctx -> { });
            return;
        }
        Superblock.FreeList list = a.superblock.freeList();
        if (!list.present()) {
            return; // the list did not fit when saved; mount scans
        }
        BlockAllocator saved;
        try {
            if (list.extents() < 0 || list.extents() > layout.dataBlocks()) {
                throw new IllegalStateException("saved free list has " + list.extents() + " extents");
            }
            saved = BlockAllocator.load(layout, device, list);
        } catch (RuntimeException e) {
            a.add(Kind.FREE_LIST_BAD, 0, list.block(), "saved free list at block " + list.block() + " is unusable ("
                    + e.getMessage() + ")", ctx -> { });
            return;
        }
        long usedAndFree = 0;
        long firstUsedAndFree = 0;
        BitSet free = new BitSet();
        for (Extent e : saved.freeExtents()) {
            int from = (int) e.start();
            int to = (int) (e.start() + e.count());
            free.set(from, to);
            for (int b = a.used.nextSetBit(from); b >= 0 && b < to; b = a.used.nextSetBit(b + 1)) {
                if (usedAndFree++ == 0) {
                    firstUsedAndFree = b;
                }
            }
        }
        if (usedAndFree > 0) {
            a.add(Kind.BLOCKS_USED_AND_FREE, 0, firstUsedAndFree, usedAndFree + " blocks are both in use and in the "
                    + "saved free list (first: block " + firstUsedAndFree + ")", ctx -> { });
        }
        BitSet known = (BitSet) free.clone();
        known.or(a.used);
        long leaked = 0;
        long firstLeaked = 0;
        for (long b = layout.dataStartBlock(); b < layout.dataEndBlock(); b++) {
            int next = known.nextClearBit((int) b);
            if (next >= layout.dataEndBlock()) {
                break;
            }
            if (leaked++ == 0) {
                firstLeaked = next;
            }
            b = next;
        }
        if (leaked > 0) {
            a.add(Kind.BLOCKS_LEAKED, 0, firstLeaked, leaked + " blocks are neither in use nor in the saved free list "
                    + "(first: block " + firstLeaked + ")", ctx -> { });
        }
    }

    private void stats() {
        long files = 0;
        long dirs = 0;
        long symlinks = 0;
        long other = 0;
        long data = 0;
        long logs = 0;
        long inodesUsed = 0;
        for (InodeInfo info : a.inodes) {
            if (!info.live) {
                continue;
            }
            inodesUsed++;
            switch (info.kind()) {
                case REGULAR -> files++;
                case DIRECTORY -> dirs++;
                case SYMLINK -> symlinks++;
                default -> other++;
            }
            logs += info.logBlocks;
            data += info.dataPages; // xattr values stored out of line count as data
        }
        logs += a.slots.pages().cardinality();
        Layout layout = a.layout;
        long usedData = a.used.get((int) layout.dataStartBlock(), (int) layout.dataEndBlock()).cardinality();
        a.stats = new CheckReport.Stats(layout.inodeCount(), inodesUsed, files, dirs, symlinks, other,
                layout.dataBlocks(), data, logs, layout.dataBlocks() - usedData);
    }
}
