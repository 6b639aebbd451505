package io.daxfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PathResolver against a small in-memory directory tree that counts lookups. */
class PathResolverTest {
    private static final long ROOT = 1;

    /** (dir, name) → inode, the "filesystem". */
    private final Map<String, Long> tree = new HashMap<>();
    private final AtomicInteger lookups = new AtomicInteger();
    private PathResolver resolver;

    @BeforeEach
    void setUp() {
        link(ROOT, "a", 2);
        link(2, "b", 3);
        link(3, "c", 4);
        link(ROOT, "x", 5);
        resolver = new PathResolver(ROOT, (dir, name) -> {
            lookups.incrementAndGet();
            Long ino = tree.get(dir + "/" + name);
            if (ino == null) {
                throw new IllegalStateException("ENOENT " + name);
            }
            return ino;
        }, 1000);
    }

    private void link(long dir, String name, long ino) {
        tree.put(dir + "/" + name, ino);
    }

    private void unlink(long dir, String name) {
        tree.remove(dir + "/" + name);
    }

    @Test
    void resolvesAndCachesEveryComponent() {
        assertEquals(ROOT, resolver.resolve("/"));
        assertEquals(4, resolver.resolve("/a/b/c"));
        assertEquals(3, lookups.get());
        assertEquals(3, resolver.resolve("/a/b"));
        assertEquals(4, resolver.resolve("/a/b/c"));
        assertEquals(3, lookups.get(), "second resolutions are hits");
    }

    @Test
    void startsFromTheLongestCachedAncestor() {
        resolver.resolve("/a/b");
        lookups.set(0);
        link(3, "d", 6);
        assertEquals(6, resolver.resolve("/a/b/d"));
        assertEquals(1, lookups.get());
    }

    @Test
    void missingNamesPropagateAndAreNotCached() {
        assertThrows(IllegalStateException.class, () -> resolver.resolve("/a/nope"));
        link(2, "nope", 9);
        assertEquals(9, resolver.resolve("/a/nope"));
    }

    @Test
    void unlinkForgetsThePath() {
        resolver.resolve("/x");
        resolver.mutate(() -> {
            unlink(ROOT, "x");
            return null;
        }, false, "/x");
        assertThrows(IllegalStateException.class, () -> resolver.resolve("/x"));
        link(ROOT, "x", 7);
        assertEquals(7, resolver.resolve("/x"), "a new file of the same name is found, not the old inode");
    }

    @Test
    void renamingADirectoryForgetsEveryCachedDescendant() {
        resolver.resolve("/a/b/c");
        resolver.resolve("/x");
        resolver.mutate(() -> {
            unlink(ROOT, "a");
            link(ROOT, "z", 2);
            return null;
        }, true, "/a", "/z");
        assertThrows(IllegalStateException.class, () -> resolver.resolve("/a/b/c"));
        assertThrows(IllegalStateException.class, () -> resolver.resolve("/a/b"));
        assertEquals(4, resolver.resolve("/z/b/c"));
        assertEquals(5, resolver.resolve("/x"));
    }

    @Test
    void subtreeInvalidationDoesNotTouchSiblingsWithACommonPrefix() {
        link(ROOT, "ab", 8);
        resolver.resolve("/ab");
        resolver.resolve("/a/b");
        lookups.set(0);
        resolver.mutate(() -> null, true, "/a");
        assertEquals(8, resolver.resolve("/ab"));
        assertEquals(0, lookups.get(), "/ab stays cached when /a is invalidated");
    }

    @Test
    void renameOverAnExistingNameForgetsTheReplacedTarget() {
        resolver.resolve("/x");
        resolver.resolve("/a");
        resolver.mutate(() -> {
            unlink(ROOT, "a");
            link(ROOT, "x", 2);
            return null;
        }, true, "/a", "/x");
        assertEquals(2, resolver.resolve("/x"));
        assertEquals(3, resolver.resolve("/x/b"));
    }

    @Test
    void theCacheIsCleanedEvenWhenTheChangeFails() {
        resolver.resolve("/x");
        assertThrows(IllegalStateException.class, () -> resolver.mutate(() -> {
            unlink(ROOT, "x");
            throw new IllegalStateException("failed half way");
        }, false, "/x"));
        assertThrows(IllegalStateException.class, () -> resolver.resolve("/x"));
    }

    @Test
    void addedNamesAreHits() {
        resolver.added("/new", 11);
        assertEquals(11, resolver.resolve("/new"));
        assertEquals(0, lookups.get());
    }

    @Test
    void rejectsPathsThatAreNotNormalizedAndAbsolute() {
        assertThrows(IllegalArgumentException.class, () -> resolver.resolve("a/b"));
        assertThrows(IllegalArgumentException.class, () -> resolver.resolve("/a/"));
        assertThrows(IllegalArgumentException.class, () -> resolver.resolve("/a//b"));
        assertThrows(IllegalArgumentException.class, () -> new PathResolver(ROOT, (d, n) -> 0, 0));
    }

    @Test
    void aLookupRacingWithARenameNeverLeavesAStaleEntry() throws Exception {
        // Writers move /a back and forth between /a and /q while readers resolve /a/b/c; after the
        // last rename settles, /a/b/c must resolve exactly as the tree says.
        Map<String, Long> shared = java.util.Collections.synchronizedMap(tree);
        PathResolver racy = new PathResolver(ROOT, (dir, name) -> {
            Long ino = shared.get(dir + "/" + name);
            if (ino == null) {
                throw new IllegalStateException("ENOENT");
            }
            Thread.onSpinWait();
            return ino;
        }, 1000);
        Thread[] readers = new Thread[3];
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (int i = 0; i < readers.length; i++) {
            readers[i] = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        racy.resolve("/a/b/c");
                    } catch (IllegalStateException e) {
                        // /a is renamed away at the moment
                    }
                }
            });
            readers[i].start();
        }
        for (int i = 0; i < 2000; i++) {
            boolean away = i % 2 == 0;
            racy.mutate(() -> {
                shared.remove(ROOT + "/" + (away ? "a" : "q"));
                shared.put(ROOT + "/" + (away ? "q" : "a"), 2L);
                return null;
            }, true, "/a", "/q");
        }
        stop.set(true);
        for (Thread t : readers) {
            t.join();
        }
        // 2000 renames: /a ended where it started.
        assertEquals(4, racy.resolve("/a/b/c"));
        assertThrows(IllegalStateException.class, () -> racy.resolve("/q/b/c"));
    }
}
