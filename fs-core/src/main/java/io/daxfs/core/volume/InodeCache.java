package io.daxfs.core.volume;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.daxfs.core.Errno;
import io.daxfs.core.FsException;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import java.lang.ref.ReferenceQueue;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;

/**
 * The DRAM inodes of a mounted volume, bounded in size (issue 11 point 4): an inode not used for a
 * while is dropped, and loaded again from its log on next use, by the same loader as at mount.
 *
 * <p>Three holders. {@code identity} maps each inode number to its one DRAM copy through a weak
 * reference: whoever holds an inode (an operation in flight, a mapping, a caller between lookup
 * and lock) keeps that copy the only one, and no second copy is ever loaded while it lives. It is
 * keyed by the primitive number ({@link LongWeakMap}), and {@code recent} by the inode itself
 * (inodes are equal only to themselves), so a lookup boxes nothing and follows no map node.
 * {@code recent} (Caffeine, weighted by {@link Inode#memoryBytes}) holds recently used inodes
 * strongly up to the configured bound; an inode it evicts stays until the garbage collector finds
 * nobody else holds it. It is striped: a Caffeine cache per stripe, each with an equal share of
 * the bound, an inode's stripe chosen by its number's {@link InodeTable#CHUNK chunk}. A thread
 * creates from a chunk of its own, so threads creating (and deleting what they made) at once put
 * and invalidate in different stripes and do not share one write buffer, eviction lock and
 * frequency sketch (issue 11 point 1); each stripe evicts its least useful inodes on its own
 * ({@link Inode#hashCode} spreads a stripe's chunks over its hash table). {@code resident} holds,
 * outside the bound, every inode whose state is not in its log ({@link Inode#needsResidence}:
 * open, orphan, dirty, mapped), so such an inode is never dropped. Dropping takes no lock: an
 * inode is only collected when nothing refers to it.
 *
 * <p>Which inode numbers may be loaded from the media ({@code loadable}) changes only inside the
 * identity map's per-key update, so a load can never race a deletion or a creation of the same
 * number into a second copy. Used by {@link Volume}; thread-safe.
 */
final class InodeCache {
    /**
     * The least share of the bound a stripe gets ({@link #stripesFor}): a stripe must still hold a
     * large directory or file index that the whole bound could hold.
     */
    private static final long MIN_STRIPE_BYTES = 16L << 20;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(InodeTable.CHUNK);

    private final LongWeakMap<Inode> identity = new LongWeakMap<>();
    private final ReferenceQueue<Inode> collected = new ReferenceQueue<>();
    /** The stripes of {@code recent}: a power of two of them. */
    private final Cache<Inode, Inode>[] recent;
    private final ConcurrentHashMap<Long, Inode> resident = new ConcurrentHashMap<>();
    /** Inode numbers whose committed state on the media is the inode. */
    private final InodeBits loadable;
    private final LongAdder loads = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    /**
     * A cache holding at most {@code boundBytes} of recently used inodes strongly, in
     * {@code stripes} stripes (a power of two) of an equal share each, whose loadable numbers are
     * at first {@code loadable} (the inodes in use at mount; the cache owns the set).
     */
    @SuppressWarnings("unchecked")
    InodeCache(long boundBytes, int stripes, InodeBits loadable) {
        if (boundBytes < 0) {
            throw new IllegalArgumentException("negative inode cache bound " + boundBytes);
        }
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("inode cache stripes " + stripes + ": not a power of two");
        }
        this.loadable = loadable;
        this.recent = new Cache[stripes];
        for (int i = 0; i < stripes; i++) {
            recent[i] = stripe(boundBytes / stripes);
        }
    }

    /**
     * The stripes for a bound of {@code boundBytes}: {@code most} (a power of two), or fewer so
     * that each gets at least {@link #MIN_STRIPE_BYTES} (one below twice that).
     */
    static int stripesFor(long boundBytes, int most) {
        return (int) Math.min(most, Long.highestOneBit(Math.max(1, boundBytes / MIN_STRIPE_BYTES)));
    }

    /** One stripe of {@code recent}, holding at most {@code boundBytes}. */
    private Cache<Inode, Inode> stripe(long boundBytes) {
        // Maintenance on the caller's thread: eviction happens as the bound is crossed, not later
        // on a pool thread, so the bound holds as tightly as Caffeine keeps it.
        return Caffeine.newBuilder()
                .maximumWeight(boundBytes)
                .weigher((Inode key, Inode inode) -> (int) Math.min(Integer.MAX_VALUE, inode.weigh()))
                .evictionListener((Inode key, Inode inode, RemovalCause cause) -> {
                    inode.setCached(false);
                    evictions.increment();
                })
                .executor(Runnable::run)
                .build();
    }

    /** The DRAM copy of {@code ino} if there is one (marked as used), else null. */
    Inode get(long ino) {
        LongWeakMap.Ref<Inode> ref = identity.get(ino);
        Inode inode = ref == null ? null : ref.get();
        if (inode != null) {
            touch(inode);
        }
        return inode;
    }

    /**
     * The DRAM copy of {@code ino}, loaded by {@code fromMedia} if there is none; ENOENT if
     * {@code ino} may not be loaded (free, or created and not yet registered).
     */
    Inode load(long ino, LongFunction<Inode> fromMedia) {
        expungeCollected();
        Inode[] out = new Inode[1];
        identity.update(ino, ref -> {
            Inode live = ref == null ? null : ref.get();
            if (live == null) {
                if (!isLoadable(ino)) {
                    throw new FsException(Errno.ENOENT, "no inode " + ino);
                }
                live = fromMedia.apply(ino);
                loads.increment();
                ref = new LongWeakMap.Ref<>(ino, live, collected);
            }
            out[0] = live;
            return ref;
        });
        touch(out[0]);
        return out[0];
    }

    /** Takes in an inode loaded or created outside {@link #load}: it is the DRAM copy from now on. */
    void put(Inode inode) {
        expungeCollected();
        identity.update(inode.ino(), ref -> {
            loadable.set(inode.ino());
            return new LongWeakMap.Ref<>(inode.ino(), inode, collected);
        });
        settle(inode);
        touch(inode);
    }

    /** Drops a deleted inode for good: its number may not be loaded again until it is reused. */
    void remove(Inode dead) {
        identity.update(dead.ino(), ref -> {
            loadable.clear(dead.ino());
            return ref == null || ref.get() == dead ? null : ref;
        });
        recent(dead).invalidate(dead);
        resident.remove(dead.ino(), dead);
        dead.setResident(false);
        dead.setCached(false);
    }

    /**
     * Holds {@code inode} resident exactly while it {@link Inode#needsResidence needs} it. Called
     * by holders of the inode's lock after every operation: only they may let go of an inode, so
     * the quick check outside the map update cannot miss a need another thread raised meanwhile.
     */
    void settle(Inode inode) {
        if (inode.needsResidence() != inode.isResident()) {
            resident.compute(inode.ino(), (key, held) -> {
                boolean need = inode.needsResidence() && !inode.isDeleted();
                inode.setResident(need);
                return need ? inode : held == inode ? null : held;
            });
            if (!inode.isResident()) {
                touch(inode);
            }
        }
    }

    /** Holds {@code inode} resident if it needs it now; never lets go (for callers without its lock). */
    void holdIfNeeded(Inode inode) {
        resident.compute(inode.ino(), (key, held) -> {
            if (inode.needsResidence() && !inode.isDeleted()) {
                inode.setResident(true);
                return inode;
            }
            return held;
        });
    }

    /** Weighs {@code inode} again after a change, if its indexes grew or shrank enough to matter. */
    void reweigh(Inode inode) {
        if (!inode.isResident() && !inode.isDeleted() && inode.outgrewWeight()) {
            inode.setCached(true);
            recent(inode).put(inode, inode);
        }
    }

    /** Every inode in DRAM now (a copy). */
    Collection<Inode> live() {
        return identity.values();
    }

    /** Inodes held resident now (open, orphan, dirty or mapped). */
    Collection<Inode> resident() {
        return List.copyOf(resident.values());
    }

    /** Inodes loaded from their logs since mount, first loads and reloads. */
    long loads() {
        return loads.sum();
    }

    /** Inodes the bound let go of since mount (each is dropped once nobody else holds it). */
    long evictions() {
        return evictions.sum();
    }

    /** The estimated bytes of the inodes the bound holds now, in every stripe. */
    long weightedBytes() {
        long sum = 0;
        for (Cache<Inode, Inode> stripe : recent) {
            stripe.cleanUp();
            sum += stripe.policy().eviction().orElseThrow().weightedSize().orElse(0);
        }
        return sum;
    }

    /**
     * The stripe of {@code recent} that holds {@code inode}: by its number's chunk, unmixed. Threads
     * take chunks one after another, so the chunks two threads create from at once are near in
     * number, and neighbouring chunks fall in different stripes; a mixed pick would put them in one
     * stripe one time in {@code stripes}.
     */
    private Cache<Inode, Inode> recent(Inode inode) {
        return recent[(int) (inode.ino() >>> CHUNK_SHIFT) & (recent.length - 1)];
    }

    private boolean isLoadable(long ino) {
        return ino > 0 && loadable.get(ino);
    }

    /**
     * Marks {@code inode} used, so the bound keeps it: puts it in the cache if it is not there
     * (the flag is cleared by the eviction listener, so no lookup is needed to know), else records
     * every eighth use.
     */
    private void touch(Inode inode) {
        if (inode.isResident() || inode.isDeleted()) {
            return;
        }
        if (!inode.isCached()) {
            inode.setCached(true); // before the put: an eviction during it clears the flag again
            recent(inode).put(inode, inode);
        } else if (inode.countUse()) {
            recent(inode).getIfPresent(inode);
        }
    }

    /** Drops the map entries of inodes the collector has taken. */
    private void expungeCollected() {
        for (Object r; (r = collected.poll()) != null; ) {
            identity.remove((LongWeakMap.Ref<?>) r);
        }
    }
}
