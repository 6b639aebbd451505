package io.daxfs.core.volume;

import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Deletions the FUSE kernel is about to set off: unlinked inodes that are closed but still looked
 * up (their FORGET deletes them), and FORGETs and RELEASEs being served. The kernel queues the
 * FORGET of an unlinked file as unlink returns, but no serving thread may have reached it yet when
 * {@code df} asks, so statfs waits here, briefly, and {@code rm; df} shows the space back. An inode
 * the kernel keeps looked up for long (an O_PATH descriptor, the working directory of a process)
 * does not hold statfs up: only deletions that fell due within the last second are waited for.
 * Used by DaxFileSystem (statfs, forget, release) and Namespace (unlink). DRAM only; thread-safe.
 */
public final class PendingReclaims {
    private static final long RECENT_NS = TimeUnit.SECONDS.toNanos(1);

    /** Inode number to when its deletion fell due, oldest first. */
    private final LinkedHashMap<Long, Long> dueSince = new LinkedHashMap<>();
    private int serving;

    /** Inode {@code ino} is unlinked and closed: its deletion waits only for the kernel's FORGET. */
    public synchronized void due(long ino) {
        dueSince.putIfAbsent(ino, System.nanoTime());
    }

    /** A FORGET or RELEASE that may delete an inode starts being served. */
    public synchronized void beginServing() {
        serving++;
    }

    /** Ends {@link #beginServing}; {@code ino} is no longer waiting for anything the kernel holds. */
    public synchronized void endServing(long ino, boolean settled) {
        serving--;
        if (settled) {
            dueSince.remove(ino);
        }
        notifyAll();
    }

    /**
     * Waits, at most {@code maxNanos}, until no FORGET or RELEASE is being served and no deletion
     * that fell due within the last second still waits; returns early when interrupted (with the
     * interrupt kept).
     */
    public synchronized void awaitSettled(long maxNanos) {
        long deadline = System.nanoTime() + maxNanos;
        for (long now = System.nanoTime(); now < deadline && busy(now); now = System.nanoTime()) {
            long until = serving > 0 ? deadline : Math.min(deadline, dueSince.lastEntry().getValue() + RECENT_NS);
            try {
                TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, until - now));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean busy(long now) {
        return serving > 0 || !dueSince.isEmpty() && now - dueSince.lastEntry().getValue() < RECENT_NS;
    }
}
