package io.daxfs.core.volume;

import io.daxfs.core.FileKind;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.Timestamp;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.SlotAllocator;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.format.Superblock.FreeList;
import io.daxfs.core.format.Superblock.State;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.log.LogWriter;
import io.daxfs.core.rebuild.BlockClaims;
import io.daxfs.core.rebuild.InodeLoader;
import io.daxfs.core.rebuild.LogCensus;
import io.daxfs.core.rebuild.MountVerification;
import io.daxfs.core.rebuild.Recovery;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats, mounts and unmounts (NOVA's {@code super}): the superblock's clean/dirty protocol, the
 * choice between loading the saved allocator and the recovery scan, journal roll-back and orphan
 * reclaim.
 */
public final class Mounter {
    private static final Logger LOG = LoggerFactory.getLogger(Mounter.class);

    private Mounter() {}

    /** Writes a new, empty filesystem over the whole device; returns its superblock. */
    public static Superblock format(DaxDevice device, FormatOptions options, long nowNs) {
        long totalBlocks = Math.min(device.size() / Layout.BLOCK_SIZE, Layout.MAX_BLOCKS);
        long inodes = options.inodeCount() == 0 ? Layout.defaultInodeCount(totalBlocks)
                : Layout.roundUpInodes(options.inodeCount());
        Layout layout = new Layout(totalBlocks, inodes);
        if (layout.dataBlocks() < 16) {
            throw new IllegalArgumentException("device of " + totalBlocks + " blocks has no room for data after "
                    + inodes + " inodes");
        }
        device.zero(0, Layout.offsetOf(layout.dataStartBlock()));
        device.zero(Layout.offsetOf(layout.backupSuperblockBlock()), Layout.BLOCK_SIZE);
        device.fence();

        BlockAllocator allocator = BlockAllocator.allFree(layout);
        LogWriter writer = new LogWriter(device, allocator, SlotAllocator.empty(allocator));
        InodeTable table = new InodeTable(device, layout);
        InodeLog rootLog = writer.newLog(Layout.ROOT_INO, BlockAllocator.Use.RELEASE);
        InodeEntry root = new InodeEntry(FileKind.DIRECTORY.typeBits() | 0755, options.rootUid(), options.rootGid(),
                0, 2, 0, 0, Timestamp.ofNanos(nowNs), Timestamp.ofNanos(nowNs), Timestamp.ofNanos(nowNs),
                Timestamp.ofNanos(nowNs), Layout.ROOT_INO, 0);
        LogWriter.Staged staged = writer.stage(Layout.ROOT_INO, rootLog, List.of(root), BlockAllocator.Use.RELEASE);
        table.writeNewRecord(Layout.ROOT_INO, rootLog.head(), 1);
        long tailWord = table.tailOffset(Layout.ROOT_INO);
        device.fence();
        device.storeRelease(tailWord, staged.newTail());
        device.flush(tailWord, Long.BYTES);
        device.fence();

        Superblock sb = new Superblock(Superblock.FORMAT_VERSION, 0, totalBlocks, inodes, options.uuid(),
                options.label(), State.CLEAN, nowNs, 0, nowNs, 0, allocator.save(device));
        sb.writeBoth(device);
        return sb;
    }

    /**
     * Mounts the filesystem on {@code device}, keeping at most {@code indexCacheBytes} of unused
     * inodes in DRAM (see {@link InodeCache}). The verification of a clean mount is prepared, and
     * starts with {@link MountVerification#begin}, or with the first operation.
     *
     * @throws CorruptImageException if the image is not a usable daxfs (the message says why and
     *     whether fsck can help)
     */
    public static Volume mount(DaxDevice device, boolean readOnly, long indexCacheBytes, long nowNs) {
        Superblock sb = Superblock.read(device);
        Layout layout = sb.layout();
        if (readOnly && sb.state() == State.DIRTY) {
            throw new CorruptImageException("filesystem was not cleanly unmounted; mount it read-write once to "
                    + "recover, or run fsck.daxfs");
        }
        InodeTable table;
        OrphanTable orphanTable = new OrphanTable(device);
        BlockAllocator allocator = null;
        SlotAllocator slots = null;
        LogCensus census = null;
        MountVerification verification = MountVerification.none();
        if (sb.state() == State.CLEAN && sb.freeList().present()) {
            try {
                allocator = BlockAllocator.load(layout, device, sb.freeList());
                slots = SlotAllocator.pending(allocator);
            } catch (IllegalStateException e) {
                LOG.warn("saved allocator unusable ({}); scanning the logs", e.getMessage());
            }
        }
        LogReader reader = new LogReader(device, layout);
        if (allocator == null) {
            if (!readOnly) {
                int undone = new Journal(device).recover(layout);
                if (undone > 0) {
                    LOG.info("journal: rolled back interrupted operations ({} commit words)", undone);
                }
            }
            table = new InodeTable(device, layout); // read after the roll-back, which may change records
            census = Recovery.scan(table, reader, new InodeLoader(table, reader));
            allocator = BlockAllocator.fromUsed(layout, census.used());
            slots = SlotAllocator.of(allocator, census.slots());
            verification = MountVerification.of(census);
        } else {
            table = new InodeTable(device, layout);
        }
        boolean crashed = sb.state() != State.CLEAN;
        if (!table.isUsed(Layout.ROOT_INO)) {
            throw new CorruptImageException("the root directory is missing; run fsck.daxfs");
        }
        List<Inode> orphans = crashed && !readOnly ? orphanCandidates(orphanTable, table, census, reader) : List.of();
        BlockClaims claims = new BlockClaims(new BitSet());
        orphans.forEach(claims::claim);
        Volume volume = new Volume(device, sb, allocator, slots, table, orphanTable, orphans, claims, indexCacheBytes);
        requireUsableRoot(volume);
        if (!readOnly) {
            Superblock dirty = sb.withState(State.DIRTY, FreeList.NONE, nowNs, true);
            dirty.writeBoth(device);
            volume.setSuperblock(dirty);
            new OrphanReaper(volume).reapAtMount(crashed ? census : null);
            if (census == null) {
                verification = MountVerification.prepare(table, reader, allocator, slots);
            }
        }
        volume.setVerification(verification);
        LOG.info("mounted {} ({} blocks, {} free, {} inodes in use){}", sb.uuid(), layout.totalBlocks(),
                allocator.freeBlocks(), table.usedCount(), readOnly ? " read-only" : "");
        return volume;
    }

    /**
     * After a crash, the inodes the orphan list names that have no name in any directory: loaded
     * now (an orphan's link count is 0, which a lazy load refuses), so the reaper can delete them.
     * Whether each really is an orphan the reaper decides.
     */
    private static List<Inode> orphanCandidates(OrphanTable orphans, InodeTable table, LogCensus census,
            LogReader reader) {
        InodeLoader loader = new InodeLoader(table, reader);
        List<Inode> out = new ArrayList<>();
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            long ino = orphans.inodeAt(slot);
            if (ino != Layout.ROOT_INO && table.isUsed(ino) && census.namesOf(ino) == 0
                    && out.stream().noneMatch(i -> i.ino() == ino)) {
                out.add(loader.load(ino));
            }
        }
        return out;
    }

    /**
     * Loads the root now, so that an image whose root cannot be read, or is not a directory, is
     * refused with one line instead of mounting and failing every request (issue #13 point 5). An
     * inode table grown over the logs by a crafted superblock ends here too: the root's log then
     * starts outside the data area.
     */
    private static void requireUsableRoot(Volume volume) {
        Inode root;
        try {
            root = volume.inode(Layout.ROOT_INO);
        } catch (FsException e) {
            throw new CorruptImageException("the root directory is unusable (" + e.getMessage() + "); run fsck.daxfs");
        }
        if (!root.isDirectory()) {
            throw new CorruptImageException("the root directory is unusable (inode 1 is a "
                    + root.kind().name().toLowerCase() + ", not a directory); run fsck.daxfs");
        }
    }

    /** Saves the allocator and marks the superblock clean. Every file must be closed. */
    public static void unmount(Volume volume, long nowNs) {
        DaxDevice device = volume.device();
        volume.verification().stop();
        MountVerification.releaseHeld(volume.inodeTable(), volume.logReader(), volume.allocator());
        FreeList saved = volume.allocator().save(device);
        Superblock clean = volume.superblock().withState(State.CLEAN, saved, nowNs, false);
        clean.writeBoth(device);
        volume.setSuperblock(clean);
    }
}
