package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link LongWeakMap}, the inode cache's identity map: entries survive growth and removals of
 * their neighbours, an update of a key is atomic (one value made per key however many threads ask
 * at once), a lock-free lookup never misses a key that stays put while others come and go, and a
 * collected value's entry goes when the queue hands it back.
 */
class LongWeakMapTest {
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();

    /** The key of segment 0 whose home slot (before the table's mask) is {@code home}. */
    private static long inSegmentZero(long home) {
        return home / LongWeakMap.RUN * LongWeakMap.RUN * LongWeakMap.SEGMENTS + home % LongWeakMap.RUN;
    }

    private LongWeakMap.Ref<Object> ref(long key, Object value) {
        return new LongWeakMap.Ref<>(key, value, queue);
    }

    @Test
    void entriesSurviveGrowthAndTheRemovalOfTheirNeighbours() {
        LongWeakMap<Object> map = new LongWeakMap<>();
        int n = 50_000;
        Object[] values = new Object[n];
        for (int k = 0; k < n; k++) {
            values[k] = "v" + k;
            Object v = values[k];
            long key = k;
            map.update(key, old -> ref(key, v));
        }
        assertEquals(n, map.size());
        Random random = new Random(11);
        Set<Integer> removed = new HashSet<>();
        while (removed.size() < n / 2) {
            int k = random.nextInt(n);
            if (removed.add(k)) {
                assertNull(map.update(k, old -> null));
            }
        }
        for (int k = 0; k < n; k++) {
            LongWeakMap.Ref<Object> found = map.get(k);
            if (removed.contains(k)) {
                assertNull(found, "removed key " + k);
            } else {
                assertSame(values[k], found.get(), "key " + k);
            }
        }
        assertEquals(n - n / 2, map.size());
        assertEquals(n - n / 2, map.values().size());
        assertNull(map.get(-1));
        assertNull(map.get(Long.MAX_VALUE));
    }

    /** Keys that share a segment and a home slot displace one another; each stays findable. */
    @Test
    void keysOfOneHomeSlotDisplaceEachOtherAndStayFindable() {
        LongWeakMap<Object> map = new LongWeakMap<>();
        int n = 3_000;
        List<Long> keys = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            keys.add(inSegmentZero(k * 4096L)); // one home slot until the table outgrows 4096
            keys.add(inSegmentZero(k + 4096L * n)); // a dense run of homes beside them
        }
        Collections.shuffle(keys, new Random(5));
        Object v = new Object();
        for (long key : keys) {
            map.update(key, old -> ref(key, v));
        }
        Collections.shuffle(keys, new Random(6));
        for (int i = 0; i < keys.size(); i++) {
            long key = keys.get(i);
            if (i % 3 == 0) {
                map.update(key, old -> null);
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            long key = keys.get(i);
            LongWeakMap.Ref<Object> found = map.get(key);
            if (i % 3 == 0) {
                assertNull(found, "removed key " + key);
            } else {
                assertEquals(key, found.key, "key " + key);
            }
        }
        assertEquals(keys.size() - (keys.size() + 2) / 3, map.size());
    }

    @Test
    void anUpdateThatThrowsOrMisfilesChangesNothing() {
        LongWeakMap<Object> map = new LongWeakMap<>();
        Object v = new Object();
        map.update(7, old -> ref(7, v));
        assertThrows(IllegalStateException.class, () -> map.update(7, old -> {
            throw new IllegalStateException("loader failed");
        }));
        assertThrows(IllegalArgumentException.class, () -> map.update(8, old -> ref(9, v)));
        assertSame(v, map.get(7).get());
        assertNull(map.get(8));
        assertNull(map.get(9));
        assertEquals(1, map.size());
    }

    /** What the cache's load does: many threads ask for the same keys at once; each key is made once. */
    @Test
    void concurrentUpdatesOfOneKeyMakeOneValue() throws Exception {
        LongWeakMap<Object> map = new LongWeakMap<>();
        int keys = 20_000;
        int threads = 4;
        AtomicIntegerArray made = new AtomicIntegerArray(keys);
        Object[][] seen = new Object[threads][keys];
        CyclicBarrier start = new CyclicBarrier(threads);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        List<Object> strong = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int me = t;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int k = 0; k < keys; k++) {
                        long key = k;
                        int kk = k;
                        LongWeakMap.Ref<Object> r = map.get(key);
                        if (r == null) {
                            r = map.update(key, old -> {
                                if (old != null) {
                                    return old;
                                }
                                made.incrementAndGet(kk);
                                Object v = new Object();
                                strong.add(v);
                                return ref(key, v);
                            });
                        }
                        seen[me][k] = r.get();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        assertTrue(errors.isEmpty(), () -> "worker failed: " + errors);
        for (int k = 0; k < keys; k++) {
            assertEquals(1, made.get(k), "values made for key " + k);
            for (int t = 1; t < threads; t++) {
                assertSame(seen[0][k], seen[t][k], "every thread got the one value of key " + k);
            }
        }
    }

    /**
     * Lookups take no lock: while writers add and remove other keys (growing the tables and
     * shifting entries back over removed ones), a key that stays is found every time, and a
     * lookup never answers with another key's entry.
     */
    @Test
    void lockFreeLookupsNeverMissAStableKeyWhileOthersChurn() throws Exception {
        LongWeakMap<Object> map = new LongWeakMap<>();
        int stable = 2_000;
        Object[] values = new Object[stable];
        for (int k = 0; k < stable; k++) {
            Object v = values[k] = new Object();
            long key = 2L * k; // even keys stay; odd keys churn
            map.update(key, old -> ref(key, v));
        }
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        Object churnValue = new Object();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int me = w;
            writers.add(Thread.ofPlatform().start(() -> {
                Random random = new Random(me);
                for (int round = 0; round < 40; round++) {
                    List<Long> added = new ArrayList<>();
                    for (int i = 0; i < 5_000; i++) {
                        long key = 2L * random.nextInt(1 << 20) + 1;
                        map.update(key, old -> ref(key, churnValue));
                        added.add(key);
                    }
                    for (long key : added) {
                        map.update(key, old -> null);
                    }
                }
            }));
        }
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Random random = new Random(99 + i);
            readers.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    int k = random.nextInt(stable);
                    LongWeakMap.Ref<Object> r = map.get(2L * k);
                    if (r == null || r.key != 2L * k || r.get() != values[k]) {
                        errors.add("key " + 2L * k + " gave " + (r == null ? "nothing" : "key " + r.key));
                    }
                    long odd = 2L * random.nextInt(1 << 20) + 1;
                    LongWeakMap.Ref<Object> o = map.get(odd);
                    if (o != null && o.key != odd) {
                        errors.add("key " + odd + " gave key " + o.key);
                    }
                }
            }));
        }
        for (Thread w : writers) {
            w.join();
        }
        stop.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertTrue(errors.isEmpty(), () -> errors.size() + " bad lookups, first: " + errors.peek());
        assertEquals(stable, map.size(), "every churned key was removed again");
    }

    /**
     * The optimistic read's worst case: every key in one segment, the stable keys a dense run of
     * home slots, and churn keys that share those home slots, so each churn insert displaces the
     * run after it (Robin Hood) and each removal shifts it back. A lookup that read slots while
     * they moved and did not retry would miss its key here within milliseconds.
     */
    @Test
    void lookupsRacingDisplacementAndBackShiftAlwaysFindTheirKey() throws Exception {
        LongWeakMap<Object> map = new LongWeakMap<>();
        int stable = 512;
        long sameHome = 1L << 20; // the same slot in any table up to 2^20
        Object[] values = new Object[stable];
        for (int k = 0; k < stable; k++) {
            Object v = values[k] = new Object();
            long key = inSegmentZero(k);
            map.update(key, old -> ref(key, v));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong lookups = new AtomicLong();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        Object churnValue = new Object();
        Thread writer = Thread.ofPlatform().start(() -> {
            Random random = new Random(3);
            for (int round = 0; round < 20_000; round++) {
                long[] added = new long[8];
                for (int i = 0; i < added.length; i++) {
                    long key = inSegmentZero(random.nextInt(stable) + sameHome * (1 + i));
                    added[i] = key;
                    map.update(key, old -> ref(key, churnValue));
                }
                for (long key : added) {
                    map.update(key, old -> null);
                }
            }
        });
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Random random = new Random(77 + i);
            readers.add(Thread.ofPlatform().start(() -> {
                long done = 0;
                while (!stop.get()) {
                    int k = random.nextInt(stable);
                    long key = inSegmentZero(k);
                    LongWeakMap.Ref<Object> r = map.get(key);
                    if (r == null || r.key != key || r.get() != values[k]) {
                        errors.add("key " + key + " gave " + (r == null ? "nothing" : "key " + r.key));
                    }
                    done++;
                }
                lookups.addAndGet(done);
            }));
        }
        writer.join();
        stop.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertTrue(errors.isEmpty(), () -> errors.size() + " bad lookups of " + lookups.get() + ", first: " + errors.peek());
        assertTrue(lookups.get() > 0, "the readers ran");
        assertEquals(stable, map.size(), "every churned key was removed again");
    }

    /** The cache drops a collected inode's entry when the queue hands its reference back. */
    @Test
    void aCollectedValuesEntryGoesWhenItsReferenceIsRemoved() {
        LongWeakMap<Object> map = new LongWeakMap<>();
        Object kept = new Object();
        LongWeakMap.Ref<Object> keptRef = map.update(1, old -> ref(1, kept));
        LongWeakMap.Ref<Object> goneRef = map.update(2, old -> ref(2, new Object()));
        goneRef.enqueue(); // what the collector does to a reference whose value nobody holds
        goneRef.clear();
        assertEquals(List.of(kept), map.values(), "a cleared reference's value is not listed");
        assertSame(goneRef, queue.poll());
        map.remove(goneRef);
        assertNull(map.get(2));
        assertEquals(1, map.size());

        LongWeakMap.Ref<Object> stale = ref(1, new Object());
        map.remove(stale); // a stale reference of a key that holds another one removes nothing
        assertSame(keptRef, map.get(1));
    }
}
