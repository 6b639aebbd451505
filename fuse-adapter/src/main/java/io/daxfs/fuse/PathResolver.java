package io.daxfs.fuse;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Turns the absolute paths libfuse hands us into inode numbers, caching path → inode in a Caffeine
 * cache.
 *
 * <p>Correctness rule: a cached entry must never resolve a path to an inode that no longer has that
 * name. Only rename, unlink and rmdir take a name away, so they run through {@link #mutate}, which
 * drops the affected paths (and, for directories, every cached path below them) while holding the
 * write side of a lock. Cache fills happen under the read side, so a lookup that raced with a rename
 * cannot put back the old binding after the rename invalidated it. Hits need no lock: a hit that
 * overlaps a rename is ordered before it, as if the lookup had come first.
 */
final class PathResolver {
    /** One directory lookup: the inode named {@code name} in directory {@code dirIno}. */
    @FunctionalInterface
    interface Lookup {
        long lookup(long dirIno, String name);
    }

    private final long rootIno;
    private final Lookup lookup;
    private final Cache<String, Long> cache;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    /**
     * @param rootIno the inode of "/"
     * @param lookup directory lookups for the parts of a path that are not cached; it reports a
     *     missing name by throwing, which propagates to the caller of {@link #resolve}
     * @param maxEntries cache capacity in paths
     */
    PathResolver(long rootIno, Lookup lookup, long maxEntries) {
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        this.rootIno = rootIno;
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        // Maintenance (eviction, write-buffer drains) on the calling thread: Caffeine's default hands
        // it to ForkJoinPool.commonPool(), a thread wake-up per burst of writes that costs more than
        // the work itself on a two-core machine serving one request at a time.
        this.cache = Caffeine.newBuilder().maximumSize(maxEntries).executor(Runnable::run).build();
    }

    /** The inode of absolute path {@code path} ("/" or "/a/b"). */
    long resolve(String path) {
        checkAbsolute(path);
        if (path.equals("/")) {
            return rootIno;
        }
        Long hit = cache.getIfPresent(path);
        if (hit != null) {
            return hit;
        }
        lock.readLock().lock();
        try {
            return walk(path);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Records a name just created (create, mkdir, symlink, link), so its first use is a hit. */
    void added(String path, long ino) {
        checkAbsolute(path);
        lock.readLock().lock();
        try {
            cache.put(path, ino);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs a change that takes names away and then forgets {@code paths}; a path whose {@code
     * subtree} flag is set also loses every cached path below it (a directory that was renamed or
     * replaced). The cache is cleaned even when the change fails part way.
     */
    <T> T mutate(Supplier<T> change, boolean subtree, String... paths) {
        for (String path : paths) {
            checkAbsolute(path);
        }
        lock.writeLock().lock();
        try {
            return change.get();
        } finally {
            for (String path : paths) {
                forget(path, subtree);
            }
            lock.writeLock().unlock();
        }
    }

    /** Number of cached paths (for tests and statistics). */
    long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    private void forget(String path, boolean subtree) {
        cache.invalidate(path);
        if (subtree) {
            String prefix = path.equals("/") ? "/" : path + "/";
            cache.asMap().keySet().removeIf(key -> key.startsWith(prefix));
        }
    }

    /** Resolves from the longest cached ancestor, caching every component found on the way. */
    private long walk(String path) {
        int cut = path.length();
        long ino = rootIno;
        while (true) {
            cut = path.lastIndexOf('/', cut - 1);
            if (cut == 0) {
                break;
            }
            Long ancestor = cache.getIfPresent(path.substring(0, cut));
            if (ancestor != null) {
                ino = ancestor;
                break;
            }
        }
        while (cut < path.length()) {
            int next = path.indexOf('/', cut + 1);
            int end = next < 0 ? path.length() : next;
            ino = lookup.lookup(ino, path.substring(cut + 1, end));
            cache.put(path.substring(0, end), ino);
            cut = end;
        }
        return ino;
    }

    private static void checkAbsolute(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/") || (path.length() > 1 && path.endsWith("/")) || path.contains("//")) {
            throw new IllegalArgumentException("not a normalized absolute path: " + path);
        }
    }
}
