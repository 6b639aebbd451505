package io.daxfs.core.volume;

import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.OrphanTable;
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
        Transaction tx = volume.begin().delete(inode);
        if (slot >= 0) {
            tx.setWord(OrphanTable.slotOffset(slot), 0);
        }
        tx.commit();
        if (slot >= 0) {
            volume.orphans().release(slot);
        }
    }

    /** Mount after a crash: every inode still on the orphan list goes. */
    void reapAfterCrash() {
        int reaped = 0;
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            long ino = volume.orphans().inodeAt(slot);
            if (ino == 0) {
                continue;
            }
            if (volume.inodeTable().isUsed(ino)) {
                Inode inode = volume.inode(ino);
                inode.setOrphanSlot(slot);
                reap(inode);
                reaped++;
            } else {
                volume.publish(OrphanTable.slotOffset(slot), 0);
                volume.orphans().release(slot);
            }
        }
        if (reaped > 0) {
            LOG.info("reclaimed {} orphaned inodes", reaped);
        }
    }
}
