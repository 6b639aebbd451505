package io.daxfs.core.volume;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The lookups a FUSE kernel holds per inode number (each reply that gave it the node id counts
 * one; its FORGETs give them back), kept apart from the DRAM inodes, which may be dropped and
 * loaded again meanwhile. A number whose inode was deleted while looked up stays taken until its
 * last FORGET ({@link Volume#forget}), so a node id the kernel still uses never names a newer
 * file. DRAM only: after a crash or a remount no lookup is held. Thread-safe.
 */
public final class LookupCounts {
    private final Map<Long, Long> counts = new HashMap<>();
    private final Set<Long> deleted = new HashSet<>();

    synchronized void add(long ino) {
        counts.merge(ino, 1L, Long::sum);
    }

    /** Whether the kernel holds any lookup of {@code ino}. */
    public synchronized boolean held(long ino) {
        return counts.containsKey(ino);
    }

    /**
     * Drops {@code count} lookups of {@code ino} (more than it holds drops them all); returns what
     * became of it: still held, released (a live inode the kernel forgot), or a deleted inode's
     * number that is now free again.
     */
    synchronized Forgotten drop(long ino, long count) {
        Long held = counts.get(ino);
        if (held == null) {
            return Forgotten.UNKNOWN;
        }
        if (held > count) {
            counts.put(ino, held - count);
            return Forgotten.STILL_HELD;
        }
        counts.remove(ino);
        return deleted.remove(ino) ? Forgotten.NUMBER_FREED : Forgotten.RELEASED;
    }

    /** At the deletion of inode {@code ino}: true if its number must wait for the kernel's FORGET. */
    synchronized boolean keepNumber(long ino) {
        if (counts.containsKey(ino)) {
            deleted.add(ino);
            return true;
        }
        return false;
    }

    /** Deleted inodes whose numbers wait for FORGET. */
    public synchronized int awaitingForget() {
        return deleted.size();
    }

    /** What a FORGET did to a number's lookups. */
    enum Forgotten {
        UNKNOWN, STILL_HELD, RELEASED, NUMBER_FREED
    }
}
