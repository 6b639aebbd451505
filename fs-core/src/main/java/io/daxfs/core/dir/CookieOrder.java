package io.daxfs.core.dir;

import io.daxfs.core.DirEntry;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A directory's entries in cookie order, for listings ({@link DirectoryIndex}): a sorted array of
 * cookies beside an array of entries. Cookies grow with every added name, so an add is nearly
 * always an append; a removed entry leaves a hole (its cookie stays, so the array stays sorted)
 * until holes are half the array. Why not a {@code TreeMap<Long, DirEntry>}: that was two objects
 * of 64 bytes per name (an entry and a boxed cookie), which every created file's name kept alive
 * through the young collections. An entry added out of order (replay of a crafted log) is
 * inserted in place. Not thread-safe: guarded by the directory's inode lock.
 */
final class CookieOrder {
    private long[] cookies = new long[4];
    private DirEntry[] entries = new DirEntry[4];
    /** Slots in use, holes included. */
    private int length;
    private int holes;

    /** True if an entry has cookie {@code cookie}. */
    boolean contains(long cookie) {
        int i = Arrays.binarySearch(cookies, 0, length, cookie);
        return i >= 0 && entries[i] != null;
    }

    /** Adds {@code entry}; no entry may hold its cookie (see {@link #contains}). */
    void add(DirEntry entry) {
        long cookie = entry.cookie();
        if (length > 0 && cookie <= cookies[length - 1]) {
            int i = Arrays.binarySearch(cookies, 0, length, cookie);
            if (i >= 0) {
                if (entries[i] != null) {
                    throw new IllegalStateException("cookie " + cookie + " is taken");
                }
                entries[i] = entry; // the hole a removed entry of the same cookie left
                holes--;
                return;
            }
            insertAt(-i - 1, entry);
            return;
        }
        if (length == cookies.length) {
            grow();
        }
        cookies[length] = cookie;
        entries[length++] = entry;
    }

    /** Removes the entry with cookie {@code cookie}, if there is one. */
    void remove(long cookie) {
        int i = Arrays.binarySearch(cookies, 0, length, cookie);
        if (i < 0 || entries[i] == null) {
            return;
        }
        entries[i] = null;
        holes++;
        if (holes * 2 > length) {
            compact();
        }
    }

    /** Entries in use. */
    int size() {
        return length - holes;
    }

    /**
     * Passes the entries with cookies above {@code after} and below {@code end}, in cookie order,
     * to {@code sink} until it returns false.
     */
    void forEach(long after, long end, Predicate<DirEntry> sink) {
        int i = Arrays.binarySearch(cookies, 0, length, after);
        i = i >= 0 ? i + 1 : -i - 1;
        for (; i < length && cookies[i] < end; i++) {
            DirEntry e = entries[i];
            if (e != null && !sink.test(e)) {
                return;
            }
        }
    }

    /** Passes every entry, in cookie order, to {@code sink}. */
    void forEach(Consumer<DirEntry> sink) {
        for (int i = 0; i < length; i++) {
            if (entries[i] != null) {
                sink.accept(entries[i]);
            }
        }
    }

    private void insertAt(int i, DirEntry entry) {
        if (length == cookies.length) {
            grow();
        }
        System.arraycopy(cookies, i, cookies, i + 1, length - i);
        System.arraycopy(entries, i, entries, i + 1, length - i);
        cookies[i] = entry.cookie();
        entries[i] = entry;
        length++;
    }

    private void grow() {
        int capacity = cookies.length * 2;
        cookies = Arrays.copyOf(cookies, capacity);
        entries = Arrays.copyOf(entries, capacity);
    }

    /** Drops the holes; shrinks the arrays when a quarter of them is in use. */
    private void compact() {
        int n = 0;
        for (int i = 0; i < length; i++) {
            if (entries[i] != null) {
                cookies[n] = cookies[i];
                entries[n++] = entries[i];
            }
        }
        Arrays.fill(entries, n, length, null);
        length = n;
        holes = 0;
        if (cookies.length > 16 && n * 4 < cookies.length) {
            int capacity = Math.max(16, Integer.highestOneBit(Math.max(1, n)) * 2);
            cookies = Arrays.copyOf(cookies, capacity);
            entries = Arrays.copyOf(entries, capacity);
        }
    }
}
