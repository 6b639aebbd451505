package io.daxfs.core.gc;

import io.daxfs.core.FsException;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogWriter;
import io.daxfs.core.volume.Volume;
import java.util.List;

/**
 * Log garbage collection (NOVA's {@code gc}, thorough form): when an inode's log has grown well
 * past what its live state needs, write the live state as a fresh log and switch head and tail to
 * it in one journaled commit, then free the old pages. Keeps every log within about twice its
 * live size, so a file overwritten a million times or a directory with a million create/unlink
 * cycles keeps a small log. A log that starts in a slot is looked at as soon as it spills into a
 * page, and goes back into a slot when its live state fits one (docs/FORMAT.md, "Log pages and
 * slots"). The caller holds the inode's write lock.
 */
public final class LogCompactor {
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
        long ino = inode.ino();
        volume.journal().commit(
                new long[] {volume.inodeTable().headOffset(ino), volume.inodeTable().tailOffset(ino)},
                new long[] {fresh.head(), fresh.tail()});
        inode.replaceLog(fresh);
        if (fresh.startsInSlot()) {
            inode.compactedIntoSlot();
        } else {
            inode.setCompactionThreshold(fresh.usedBytes() * 2);
        }
        writer.discard(old);
        return true;
    }
}
