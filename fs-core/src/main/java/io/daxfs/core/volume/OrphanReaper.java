package io.daxfs.core.volume;

import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.rebuild.LogCensus;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes inodes that lost their last name while open: at last close, at unmount, after a crash. */
public final class OrphanReaper {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);

    private final Volume volume;

    public OrphanReaper(Volume volume) {
        this.volume = volume;
    }

    /** Deletes an orphan whose last user has gone; the caller holds its lock. */
    public void reap(Inode inode) {
        int slot = inode.orphanSlot();
        Transaction tx = volume.begin().releasing().delete(inode);
        if (slot >= 0) {
            tx.setWord(OrphanTable.slotOffset(slot), 0);
        }
        tx.commit();
        if (slot >= 0) {
            volume.orphans().release(slot);
        }
    }

    /**
     * Mount: after a crash ({@code census} is the recovery scan's), every inode still on the
     * orphan list goes, but only if it really is an orphan (a file or symlink, not the root, with
     * no link and no name in any directory, as the census counted them). A slot that names anything
     * else was crafted or damaged: it is cleared and the inode left alone (issue #13 point 4). A
     * clean unmount ({@code census} null) deletes every orphan, so after one, no slot is trusted.
     */
    void reapAtMount(LogCensus census) {
        Map<Integer, Long> slots = new TreeMap<>();
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            long ino = volume.orphans().inodeAt(slot);
            if (ino != 0) {
                slots.put(slot, ino);
            }
        }
        int reaped = 0;
        for (Map.Entry<Integer, Long> e : slots.entrySet()) {
            int slot = e.getKey();
            long ino = e.getValue();
            String refused = census != null ? whyNotAnOrphan(ino, census) : "the filesystem was cleanly unmounted";
            if (refused == null) {
                Inode inode = volume.inode(ino);
                inode.setOrphanSlot(slot);
                reap(inode);
                reaped++;
                continue;
            }
            if (volume.inodeTable().isUsed(ino)) {
                LOG.warn("orphan slot {} names inode {}, which is not an orphan ({}); slot cleared, inode kept "
                        + "(run fsck.daxfs)", slot, ino, refused);
            }
            volume.publish(OrphanTable.slotOffset(slot), 0);
            volume.orphans().release(slot);
        }
        if (reaped > 0) {
            LOG.info("reclaimed {} orphaned inodes", reaped);
        }
    }

    /**
     * Why the inode in an orphan slot must not be deleted, or null if it is an orphan. Its names
     * are counted first: a named inode whose link count says 0 is never loaded (a lazy load
     * refuses it), and one without names was loaded by the mount.
     */
    private String whyNotAnOrphan(long ino, LogCensus census) {
        if (!volume.inodeTable().isUsed(ino)) {
            return "it is free";
        }
        if (ino == Layout.ROOT_INO) {
            return "it is the root directory";
        }
        int named = census.namesOf(ino);
        if (named != 0) {
            return "it still has " + named + " name(s)";
        }
        Inode inode = volume.inode(ino);
        if (inode.isDirectory()) {
            return "it is a directory";
        }
        if (inode.attrs().nlink() != 0) {
            return "its link count is " + Integer.toUnsignedString(inode.attrs().nlink());
        }
        return null;
    }
}
