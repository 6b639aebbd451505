package io.daxfs.core.volume;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.StampedLock;
import java.util.function.UnaryOperator;

/**
 * A map from a primitive {@code long} key to a weak reference that carries its key: the identity
 * map of {@link InodeCache}. A lookup reads one slot, the reference and the value, with no box and
 * no map node between them (a {@code ConcurrentHashMap<Long, Ref>} adds a node and a boxed key,
 * two more dependent cache misses per lookup, and a box per call).
 *
 * <p>Keys are taken in runs of {@link #RUN} in a row: a run's number picks its segment, and the
 * key without those bits its home slot, unhashed. Keys made in a row (inode numbers are indexes
 * into the inode table, handed out in order) sit side by side in one segment, so a walk over them
 * shares cache lines (a scrambling hash measured a third slower on stat); and threads creating at
 * once, each from a chunk of numbers of its own ({@code InodeTable.CHUNK}, a multiple of the run),
 * update different segments, so no segment's monitor, lock word or slots move between their cores
 * on every update (as when the low bits picked the segment and every create touched a segment the
 * other thread had just written). A segment is an
 * open-addressing table, linear probing with Robin Hood placement ({@link Segment}). Updates of a segment are serialised by its monitor, held across the whole
 * {@link #update}, so a caller's read-modify-write of one key is atomic (the cache loads an inode
 * inside it). Stores into the table are made under the segment's {@link StampedLock}, taken only
 * while they are made; {@link #get} takes no lock and writes nothing shared: it reads
 * optimistically and takes the read lock only if a store ran meanwhile. Thread-safe.
 *
 * @param <T> the values, held weakly
 */
final class LongWeakMap<T> {
    /** A weak reference that remembers its key, so that its entry can be found once it is cleared. */
    static final class Ref<T> extends WeakReference<T> {
        final long key;

        Ref(long key, T value, ReferenceQueue<? super T> queue) {
            super(value, queue);
            this.key = key;
        }
    }

    private static final int SEGMENT_BITS = 6;
    static final int SEGMENTS = 1 << SEGMENT_BITS;
    /** Log2 of {@link #RUN}. */
    private static final int RUN_BITS = 8;
    /** Keys in a row that share a segment: a sixteenth of an inode table chunk. */
    static final int RUN = 1 << RUN_BITS;
    private static final int FIRST_CAPACITY = 16;

    private final Segment[] segments = new Segment[SEGMENTS];

    LongWeakMap() {
        for (int i = 0; i < segments.length; i++) {
            segments[i] = new Segment();
        }
    }

    /** The reference held for {@code key}, or null (its value may have been collected). */
    @SuppressWarnings("unchecked")
    Ref<T> get(long key) {
        return (Ref<T>) segment(key).get(key, home(key));
    }

    /**
     * Replaces the reference held for {@code key} by what {@code update} makes of it (null: none
     * held, or to remove it), atomically with respect to every other update of {@code key}; returns
     * the new reference. A new reference must carry {@code key}. {@code update} may throw: then
     * nothing changes.
     */
    @SuppressWarnings("unchecked")
    Ref<T> update(long key, UnaryOperator<Ref<T>> update) {
        Segment s = segment(key);
        int h = home(key);
        synchronized (s) {
            Ref<T> old = (Ref<T>) s.get(key, h);
            Ref<T> now = update.apply(old);
            if (now != old) {
                if (now != null && now.key != key) {
                    throw new IllegalArgumentException("reference for key " + now.key + " stored under " + key);
                }
                if (now == null) {
                    s.remove(key, h);
                } else {
                    s.put(now, h);
                }
            }
            return now;
        }
    }

    /** Removes the entry of {@code ref}'s key if it is {@code ref}. */
    void remove(Ref<?> ref) {
        Segment s = segment(ref.key);
        int h = home(ref.key);
        synchronized (s) {
            if (s.get(ref.key, h) == ref) {
                s.remove(ref.key, h);
            }
        }
    }

    /** The number of entries (cleared references included until they are removed). */
    int size() {
        int n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.size;
            }
        }
        return n;
    }

    /** Every value still referenced now (a copy, in no particular order). */
    @SuppressWarnings("unchecked")
    List<T> values() {
        List<T> out = new ArrayList<>();
        for (Segment s : segments) {
            synchronized (s) {
                for (Ref<?> ref : s.slots) {
                    T value = ref == null ? null : (T) ref.get();
                    if (value != null) {
                        out.add(value);
                    }
                }
            }
        }
        return out;
    }

    private Segment segment(long key) {
        return segments[(int) (key >>> RUN_BITS) & (segments.length - 1)];
    }

    /** The slot {@code key} probes from, before the table's mask: the key without its segment's bits, folded. */
    private static int home(long key) {
        long rest = key & (RUN - 1) | (key >>> (RUN_BITS + SEGMENT_BITS)) << RUN_BITS;
        return (int) (rest ^ (rest >>> 32));
    }

    /**
     * One open-addressing table with Robin Hood placement: along a probe, entries lie no farther
     * from their home slots than the entry being looked for would, so a probe stops at the first
     * entry nearer home than itself, and a removal shifts back only the entries that probed past
     * the hole. Keys in a row fill a run of slots each at its home, where plain linear probing
     * would scan the whole run on every removal and every miss. Stores are made holding the
     * segment's monitor and, only while they are made, the write lock; {@link #get} alone may run
     * without the monitor.
     */
    private static final class Segment {
        private final StampedLock stores = new StampedLock();
        /** Power-of-two length, at most three quarters full; read racily by {@link #get}. */
        private Ref<?>[] slots = new Ref<?>[FIRST_CAPACITY];
        private int size;

        Ref<?> get(long key, int home) {
            long stamp = stores.tryOptimisticRead();
            if (stamp != 0) {
                Ref<?>[] table = slots;
                int i = indexOf(table, key, home);
                Ref<?> found = i < 0 ? null : table[i];
                if (stores.validate(stamp)) {
                    return found;
                }
            }
            stamp = stores.readLock();
            try {
                int i = indexOf(slots, key, home);
                return i < 0 ? null : slots[i];
            } finally {
                stores.unlockRead(stamp);
            }
        }

        /**
         * The slot of {@code key} in {@code table}, or -1. Bounded by the table's length, so a read
         * racing a store ends (and is then retried by {@link #get}).
         */
        private static int indexOf(Ref<?>[] table, long key, int home) {
            int mask = table.length - 1;
            for (int d = 0, i = home & mask; d < table.length; d++, i = (i + 1) & mask) {
                Ref<?> ref = table[i];
                if (ref == null || distance(ref, i, mask) < d) {
                    return -1;
                }
                if (ref.key == key) {
                    return i;
                }
            }
            return -1;
        }

        /** How far slot {@code i} lies past the home slot of {@code ref}'s key. */
        private static int distance(Ref<?> ref, int i, int mask) {
            return (i - home(ref.key)) & mask;
        }

        /** Holding the monitor: puts {@code ref} in its key's slot, replacing what was there. */
        void put(Ref<?> ref, int home) {
            long stamp = stores.writeLock();
            try {
                int i = indexOf(slots, ref.key, home);
                if (i >= 0) {
                    slots[i] = ref;
                    return;
                }
                if ((size + 1) * 4L > slots.length * 3L) {
                    slots = grown(slots);
                }
                place(slots, ref);
                size++;
            } finally {
                stores.unlockWrite(stamp);
            }
        }

        /**
         * Holding the monitor: removes {@code key}'s slot and shifts back the entries after it
         * that lie past their home, so that no probe sequence has a hole (no tombstones).
         */
        void remove(long key, int home) {
            long stamp = stores.writeLock();
            try {
                int i = indexOf(slots, key, home);
                if (i < 0) {
                    return;
                }
                size--;
                int mask = slots.length - 1;
                for (int j = (i + 1) & mask; slots[j] != null && distance(slots[j], j, mask) > 0; j = (j + 1) & mask) {
                    slots[i] = slots[j];
                    i = j;
                }
                slots[i] = null;
            } finally {
                stores.unlockWrite(stamp);
            }
        }

        /** Places {@code ref}, whose key {@code table} lacks, taking the slot of any entry nearer its home. */
        private static void place(Ref<?>[] table, Ref<?> ref) {
            int mask = table.length - 1;
            Ref<?> moving = ref;
            for (int d = 0, i = home(moving.key) & mask; ; d++, i = (i + 1) & mask) {
                Ref<?> there = table[i];
                if (there == null) {
                    table[i] = moving;
                    return;
                }
                int theirs = distance(there, i, mask);
                if (theirs < d) {
                    table[i] = moving;
                    moving = there;
                    d = theirs;
                }
            }
        }

        private static Ref<?>[] grown(Ref<?>[] old) {
            Ref<?>[] table = new Ref<?>[old.length * 2];
            for (Ref<?> ref : old) {
                if (ref != null) {
                    place(table, ref);
                }
            }
            return table;
        }
    }
}
