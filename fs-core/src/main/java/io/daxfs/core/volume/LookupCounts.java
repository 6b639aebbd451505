package io.daxfs.core.volume;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lookups a FUSE kernel holds per inode number (each reply that gave it the node id counts
 * one; its FORGETs give them back), kept apart from the DRAM inodes, which may be dropped and
 * loaded again meanwhile. A number whose inode was deleted while looked up stays taken until its
 * last FORGET ({@link Volume#forget}), so a node id the kernel still uses never names a newer
 * file. DRAM only: after a crash or a remount no lookup is held. Thread-safe without a lock of its
 * own: every unlink asks {@link #keepNumber}, and a monitor there was one more word that the
 * cores of two threads unlinking in different directories took turns to write. A number's count
 * and its deleted mark change together inside the count map's update of that number.
 */
public final class LookupCounts {
    private final ConcurrentHashMap<Long, Long> counts = new ConcurrentHashMap<>();
    private final Set<Long> deleted = ConcurrentHashMap.newKeySet();

    void add(long ino) {
        counts.merge(ino, 1L, Long::sum);
    }

    /** Whether the kernel holds any lookup of {@code ino}. */
    public boolean held(long ino) {
        return counts.containsKey(ino);
    }

    /**
     * Drops {@code count} lookups of {@code ino} (more than it holds drops them all); returns what
     * became of it: still held, released (a live inode the kernel forgot), or a deleted inode's
     * number that is now free again.
     */
    Forgotten drop(long ino, long count) {
        Forgotten[] out = {Forgotten.UNKNOWN};
        counts.computeIfPresent(ino, (key, held) -> {
            if (held > count) {
                out[0] = Forgotten.STILL_HELD;
                return held - count;
            }
            out[0] = deleted.remove(key) ? Forgotten.NUMBER_FREED : Forgotten.RELEASED;
            return null;
        });
        return out[0];
    }

    /**
     * At the deletion of inode {@code ino}: true if its number must wait for the kernel's FORGET.
     * Only reads when the kernel holds no lookup of it (a map update locks a bin that other
     * numbers share).
     */
    boolean keepNumber(long ino) {
        if (!counts.containsKey(ino)) {
            return false; // add runs under the inode's lock, as its deletion does: no count can appear now
        }
        boolean[] kept = {false};
        counts.computeIfPresent(ino, (key, held) -> {
            deleted.add(key);
            kept[0] = true;
            return held;
        });
        return kept[0];
    }

    /** Deleted inodes whose numbers wait for FORGET. */
    public int awaitingForget() {
        return deleted.size();
    }

    /** What a FORGET did to a number's lookups. */
    enum Forgotten {
        UNKNOWN, STILL_HELD, RELEASED, NUMBER_FREED
    }
}
