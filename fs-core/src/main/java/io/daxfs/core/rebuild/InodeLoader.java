package io.daxfs.core.rebuild;

import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.extent.FileExtents;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogReader;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds one inode's DRAM state by replaying its log from head to committed tail (NOVA's
 * {@code rebuild}). Used lazily on first access after a clean mount, and for every inode by the
 * recovery scan after a crash.
 */
public final class InodeLoader {
    private static final Logger LOG = LoggerFactory.getLogger(InodeLoader.class);

    private final InodeTable table;
    private final LogReader reader;

    public InodeLoader(InodeTable table, LogReader reader) {
        this.table = table;
        this.reader = reader;
    }

    /**
     * Loads inode {@code ino}.
     *
     * @throws FsException ENOENT if the record is free, EIO if its record or log is damaged
     */
    public Inode load(long ino) {
        try {
            return loadOrThrow(ino);
        } catch (LogCorruptException e) {
            LOG.error("inode {} is damaged, run fsck.daxfs: {}", ino, e.getMessage());
            throw new FsException(Errno.EIO, e.getMessage());
        }
    }

    /**
     * A write entry is checked before it is applied, not only the index it leaves: a crafted entry
     * naming billions of pages would otherwise cost the page index that many steps before its
     * bounds were ever looked at.
     */
    private static void checkWrite(long ino, LogEntry.WriteEntry write, Layout layout) {
        if (write.pgoff() < 0 || write.count() < 1
                || write.count() > Layout.MAX_FILE_SIZE / Layout.BLOCK_SIZE - write.pgoff()) {
            throw new LogCorruptException("inode " + ino + ": a write entry names file pages " + write.pgoff() + "+"
                    + write.count() + " beyond the largest file size");
        }
        if (!write.isHole() && (!layout.isDataBlock(write.block())
                || write.count() > layout.dataEndBlock() - write.block())) {
            throw new LogCorruptException("inode " + ino + ": a write entry names blocks " + write.block() + "+"
                    + write.count() + " outside the data area");
        }
    }

    /** An xattr value's blocks are read at device offsets: they must be data blocks. */
    private static void checkXattrRef(long ino, LogEntry.XattrRef ref, Layout layout) {
        for (long block : ref.blocks()) {
            if (!layout.isDataBlock(block)) {
                throw new LogCorruptException("inode " + ino + ": xattr '" + ref.name() + "' names block " + block
                        + " outside the data area");
            }
        }
    }

    /**
     * Sizes and blocks that reads would turn into device offsets: a damaged entry with a good
     * checksum must not send a read outside the data area.
     */
    private static void checkBounds(Inode inode, Layout layout) {
        long size = inode.size();
        long max = inode.kind() == FileKind.SYMLINK ? Layout.BLOCK_SIZE - 1 : Layout.MAX_FILE_SIZE;
        if (size < 0 || size > max) {
            throw new LogCorruptException("inode " + inode.ino() + ": size " + size + " is out of range");
        }
        if (inode.extents() != null) {
            for (FileExtents.Run run : inode.extents().runs()) {
                if (run.pgoff() < 0 || run.count() > Layout.MAX_FILE_SIZE / Layout.BLOCK_SIZE - run.pgoff()) {
                    throw new LogCorruptException("inode " + inode.ino() + ": file pages " + run.pgoff() + "+"
                            + run.count() + " lie beyond the largest file size");
                }
                if (run.count() < 1 || !layout.isDataBlock(run.block())
                        || run.count() > layout.dataEndBlock() - run.block()) {
                    throw new LogCorruptException("inode " + inode.ino() + ": file pages " + run.pgoff() + "+"
                            + run.count() + " point at blocks outside the data area");
                }
            }
        }
    }

    /**
     * Loads inode {@code ino}, reporting damage as {@link LogCorruptException} (for recovery and
     * the checker, which must tell damage from absence).
     */
    public Inode loadOrThrow(long ino) {
        InodeTable.Record record = table.read(ino);
        if (!record.inUse()) {
            throw new FsException(Errno.ENOENT, "inode " + ino + " is free");
        }
        if (!record.crcValid()) {
            throw new LogCorruptException("inode " + ino + ": record fails its checksum");
        }
        List<LogEntry> entries = new ArrayList<>();
        InodeLog log = reader.read(ino, record.head(), record.tail(), (entry, offset) -> entries.add(entry));
        if (entries.isEmpty() || !(entries.getFirst() instanceof InodeEntry first)) {
            throw new LogCorruptException("inode " + ino + ": log does not start with an inode entry");
        }
        Inode inode;
        try {
            inode = new Inode(ino, record.generation(), first, log);
            for (int i = 1; i < entries.size(); i++) {
                if (entries.get(i) instanceof LogEntry.WriteEntry write) {
                    checkWrite(ino, write, reader.layout());
                } else if (entries.get(i) instanceof LogEntry.XattrRef ref) {
                    checkXattrRef(ino, ref, reader.layout());
                }
                inode.apply(entries.get(i), (block, count) -> { });
            }
        } catch (FsException | NullPointerException | IllegalArgumentException e) {
            throw new LogCorruptException("inode " + ino + ": log entries do not fit its kind: " + e.getMessage());
        }
        checkBounds(inode, reader.layout());
        return inode;
    }
}
