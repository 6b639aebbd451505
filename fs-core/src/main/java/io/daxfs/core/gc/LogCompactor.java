package io.daxfs.core.gc;

import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.log.LogWriter;
import io.daxfs.core.volume.Volume;
import java.util.ArrayList;
import java.util.List;

/**
 * Log garbage collection (NOVA's {@code gc}): when an inode's log has grown well past what its
 * live state needs, shrink it in one journaled commit and free what it left, in one of two ways.
 * A regular file's log whose oldest segments are mostly dead loses them from its head: the page
 * mappings in them that are still current move to the tail, and a new first segment holding the
 * attributes links to the rest (the <em>head trim</em>, a few pages a step, so a file overwritten
 * at random pays a little now and then instead of a rewrite of its whole log at once, which
 * stalled its writer for milliseconds). Otherwise the whole live state is written as a fresh log
 * and head and tail switch to it (the <em>thorough</em> form). Keeps every log within about twice
 * its live size, so a file overwritten a million times or a directory with a million
 * create/unlink cycles keeps a small log. A log that starts in a slot is looked at as soon as it
 * spills into a page, and goes back into a slot when its live state fits one (docs/FORMAT.md,
 * "Log pages and slots"). The caller holds the inode's write lock.
 */
public final class LogCompactor {
    /** A trim takes at most this many segments off a log's head at once: a step of tens of microseconds. */
    static final int MAX_TRIMMED_SEGMENTS = 8;
    /**
     * Logs of at most this many segments are compacted the thorough way: a rewrite that small
     * takes no longer than a trim, and it can put a log back into a slot.
     */
    static final int MIN_TRIMMED_LOG = 4 * MAX_TRIMMED_SEGMENTS;

    private final Volume volume;

    public LogCompactor(Volume volume) {
        this.volume = volume;
    }

    /** Compacts {@code inode}'s log if it has outgrown its threshold; returns whether it did. */
    public boolean maybeCompact(Inode inode) {
        InodeLog old = inode.log();
        if (inode.isDeleted() || old.usedBytes() < inode.compactionThreshold()) {
            return false;
        }
        if (inode.kind() == FileKind.REGULAR && trimHead(inode)) {
            return true;
        }
        List<LogEntry> live = inode.stateAsEntries();
        LogWriter writer = volume.logWriter();
        InodeLog fresh;
        LogWriter.Staged staged;
        try {
            fresh = writer.newLog(inode.ino(), LogWriter.encodedLength(live), BlockAllocator.Use.METADATA);
        } catch (FsException e) {
            return false;
        }
        try {
            staged = writer.stage(inode.ino(), fresh, live, BlockAllocator.Use.METADATA);
        } catch (FsException e) {
            // Out of space: compaction is an optimisation that runs after the operation committed,
            // so it must not turn that operation into a failure. It tries again next time.
            writer.discard(fresh);
            return false;
        }
        staged.publishTo(fresh);
        if (fresh.usedBytes() * 2 > old.usedBytes()) {
            writer.discard(fresh);
            inode.setCompactionThreshold(old.usedBytes() * 2);
            return false;
        }
        commitHeadAndTail(inode.ino(), fresh.head(), fresh.tail());
        inode.replaceLog(fresh);
        if (fresh.startsInSlot()) {
            inode.compactedIntoSlot();
        } else {
            inode.setCompactionThreshold(fresh.usedBytes() * 2);
        }
        writer.discard(old);
        return true;
    }

    /**
     * Takes up to {@link #MAX_TRIMMED_SEGMENTS} segments off the head of a regular file's log, if
     * that frees at least a page: the page mappings they hold that are still current go to the
     * tail, followed by the attributes, and a new first segment holding the attributes links to
     * the rest. Replaying the shorter log gives the same state: a mapping left out was replaced
     * by a later entry (which stays); one moved to the tail is current, so no entry between
     * touches its page; the attributes at the tail restore what the entries between set to older
     * values. Stops at a segment with an entry other than attributes and writes (extended
     * attributes are left to the thorough form) and never takes the tail's segment. The moved
     * mappings land at the tail, not in the new head, so the head is always the log's oldest
     * part, where most entries are dead. Only for logs longer than {@link #MIN_TRIMMED_LOG}
     * segments. Returns false when it did nothing.
     */
    private boolean trimHead(Inode inode) {
        InodeLog log = inode.log();
        if (log.segmentCount() <= MIN_TRIMMED_LOG) {
            return false;
        }
        int limit = Math.min(MAX_TRIMMED_SEGMENTS, log.segmentCount() - 1);
        List<LogEntry> moved = new ArrayList<>();
        int taken = 0;
        long freed = 0;
        while (taken < limit && currentMappings(inode, log.segment(taken), moved)) {
            freed += LogSegment.size(log.segment(taken));
            taken++;
        }
        InodeEntry attributes = inode.snapshotEntry();
        moved.add(attributes);
        long added = LogWriter.encodedLength(moved) + Layout.SLOT_SIZE;
        if (taken == 0 || freed - added < Layout.BLOCK_SIZE) {
            return false;
        }
        LogWriter writer = volume.logWriter();
        InodeLog trimmed;
        LogWriter.Staged staged;
        try {
            trimmed = writer.withNewHead(inode.ino(), log, taken, attributes, BlockAllocator.Use.METADATA);
        } catch (FsException e) {
            return false; // out of space: as for the thorough form, the operation itself stands
        }
        try {
            staged = writer.stage(inode.ino(), trimmed, moved, BlockAllocator.Use.METADATA);
        } catch (FsException e) {
            writer.discardFirst(trimmed, 1);
            return false;
        }
        commitHeadAndTail(inode.ino(), trimmed.head(), staged.newTail());
        staged.publishTo(trimmed);
        inode.replaceLog(trimmed);
        writer.discardFirst(log, taken);
        return true;
    }

    /** Switches inode {@code ino}'s record to a log of the given head and tail, in one journaled commit. */
    private void commitHeadAndTail(long ino, long head, long tail) {
        volume.journal().commit(new long[] {volume.inodeTable().headOffset(ino), volume.inodeTable().tailOffset(ino)},
                new long[] {head, tail});
    }

    /**
     * Adds to {@code out} the page mappings of {@code segment}'s write entries that the file's index
     * still holds, as runs with the file's current size and time; false if the segment holds an
     * entry other than attributes and writes.
     */
    private boolean currentMappings(Inode inode, long segment, List<LogEntry> out) {
        FileExtents index = inode.extents();
        long size = inode.size();
        long time = inode.attrs().mtime().toNanosSaturated();
        return volume.logReader().scanWrites(segment, (pgoff, block, count) -> {
            if (block == 0) {
                return;
            }
            if (count == 1) { // what random 4 KiB writes leave: one lookup, no list
                if (index.blockOf(pgoff) == block) {
                    out.add(new WriteEntry(pgoff, block, 1, size, time));
                }
                return;
            }
            // A run of the index is current for this entry where it maps the entry's pages to the entry's blocks.
            for (FileExtents.Run run : index.runsIn(pgoff, count)) {
                if (run.block() - run.pgoff() == block - pgoff) {
                    out.add(new WriteEntry(run.pgoff(), run.block(), run.count(), size, time));
                }
            }
        });
    }
}
