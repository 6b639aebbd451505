package io.daxfs.core.volume;

import io.daxfs.core.DirEntry;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.OrphanTable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
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
        Transaction tx = volume.begin().delete(inode);
        if (slot >= 0) {
            tx.setWord(OrphanTable.slotOffset(slot), 0);
        }
        tx.commit();
        if (slot >= 0) {
            volume.orphans().release(slot);
        }
    }

    /**
     * Mount: after a crash, every inode still on the orphan list goes, but only if it really is
     * an orphan (a file or symlink, not the root, with no link and no name in any directory: after
     * a crash every inode is loaded, so its names can be counted). A slot that names anything else
     * was crafted or damaged: it is cleared and the inode left alone (issue #13 point 4). A clean
     * unmount deletes every orphan, so after one, no slot is trusted at all. {@code everyInode} is
     * what the recovery scan loaded (empty after a clean unmount).
     */
    void reapAtMount(boolean crashed, Iterable<Inode> everyInode) {
        Map<Integer, Long> slots = new TreeMap<>();
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            long ino = volume.orphans().inodeAt(slot);
            if (ino != 0) {
                slots.put(slot, ino);
            }
        }
        if (slots.isEmpty()) {
            return;
        }
        Map<Long, Integer> names = crashed ? namesOf(Set.copyOf(slots.values()), everyInode) : Map.of();
        int reaped = 0;
        for (Map.Entry<Integer, Long> e : slots.entrySet()) {
            int slot = e.getKey();
            long ino = e.getValue();
            String refused = crashed ? whyNotAnOrphan(ino, names) : "the filesystem was cleanly unmounted";
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

    /** Why the inode in an orphan slot must not be deleted, or null if it is an orphan. */
    private String whyNotAnOrphan(long ino, Map<Long, Integer> names) {
        if (!volume.inodeTable().isUsed(ino)) {
            return "it is free";
        }
        if (ino == Layout.ROOT_INO) {
            return "it is the root directory";
        }
        Inode inode = volume.inode(ino);
        if (inode.isDirectory()) {
            return "it is a directory";
        }
        if (inode.attrs().nlink() != 0) {
            return "its link count is " + Integer.toUnsignedString(inode.attrs().nlink());
        }
        int named = names.getOrDefault(ino, 0);
        return named == 0 ? null : "it still has " + named + " name(s)";
    }

    /** How many directory entries name each of {@code candidates}, over the directories of {@code everyInode}. */
    private static Map<Long, Integer> namesOf(Set<Long> candidates, Iterable<Inode> everyInode) {
        Map<Long, Integer> names = new HashMap<>();
        for (Inode dir : everyInode) {
            if (dir.isDirectory()) {
                for (DirEntry d : dir.directory().all()) {
                    if (candidates.contains(d.ino())) {
                        names.merge(d.ino(), 1, Integer::sum);
                    }
                }
            }
        }
        return names;
    }
}
