package io.daxfs.core.dir;

import io.daxfs.core.DirEntry;
import io.daxfs.core.FileKind;
import io.daxfs.core.Name;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The DRAM index of one directory: names to entries, and entries in cookie order for listings.
 * Cookies grow with every added name and are kept on the media, so a listing resumed at a cookie
 * stays valid while the directory changes and across remounts; a listing that stops at the next
 * cookie of its start ends even while names are renamed away and back (each return takes a new
 * cookie), and shows every name left alone exactly once. Guarded by the inode lock.
 */
public final class DirectoryIndex {
    /** The first cookie of a named entry; 1 and 2 are "." and "..". */
    public static final long FIRST_COOKIE = 3;
    /**
     * DRAM of one entry besides its name's bytes: the entry, its name object and array header,
     * a hash map node and its slot, and its cookie and entry slots in cookie order with their
     * slack (64-bit JVM, compressed pointers).
     */
    private static final long ENTRY_BYTES = 128;

    private final Map<Name, DirEntry> byName = new HashMap<>();
    private final CookieOrder byCookie = new CookieOrder();
    private final Set<Name> renumbered = new HashSet<>();
    private long nextCookie = FIRST_COOKIE;
    private int subdirectories;
    private long nameBytes;

    public DirEntry lookup(Name name) {
        return byName.get(name);
    }

    public int size() {
        return byName.size();
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    /** DRAM the index takes, estimated from its entries and names (what the inode cache weighs). */
    public long memoryBytes() {
        return byName.size() * ENTRY_BYTES + nameBytes;
    }

    /** Names that are directories: the directory's link count is this plus 2. */
    public int subdirectories() {
        return subdirectories;
    }

    /** The cookie the next added name gets. */
    public long nextCookie() {
        return nextCookie;
    }

    /** Raises the next cookie to at least {@code cookie} (replay of a compacted log). */
    public void advanceCookie(long cookie) {
        nextCookie = Math.max(nextCookie, cookie);
    }

    /**
     * Adds {@code entry}, replacing an entry of the same name. An entry whose cookie another name
     * already holds (only a crafted or damaged log has one) gets the next free cookie instead, so
     * that no name is hidden from listings or from the link count (issue #13 point 8); it is
     * remembered in {@link #renumbered} for the checker.
     */
    public void add(DirEntry entry) {
        DirEntry old = byName.remove(entry.name());
        if (old != null) {
            forget(old);
        }
        if (byCookie.contains(entry.cookie())) {
            renumbered.add(entry.name());
            entry = new DirEntry(entry.name(), entry.ino(), entry.kind(), nextCookie);
        }
        byName.put(entry.name(), entry);
        byCookie.add(entry);
        nameBytes += entry.name().length();
        nextCookie = Math.max(nextCookie, entry.cookie() + 1);
        if (entry.kind() == FileKind.DIRECTORY) {
            subdirectories++;
        }
    }

    /** Names that were added with a cookie another name held, and carry a new one in DRAM only. */
    public Set<Name> renumbered() {
        return Collections.unmodifiableSet(renumbered);
    }

    /** Removes {@code name}; returns the entry it had, or null. */
    public DirEntry remove(Name name) {
        DirEntry entry = byName.remove(name);
        if (entry != null) {
            forget(entry);
        }
        return entry;
    }

    private void forget(DirEntry entry) {
        renumbered.remove(entry.name());
        byCookie.remove(entry.cookie());
        nameBytes -= entry.name().length();
        if (entry.kind() == FileKind.DIRECTORY) {
            subdirectories--;
        }
    }

    /**
     * Up to {@code max} entries with cookies above {@code afterCookie} and below {@code endCookie},
     * in cookie order; entries whose name cannot be listed (see {@link Name#isListable}) are skipped.
     */
    public List<DirEntry> list(long afterCookie, long endCookie, int max) {
        List<DirEntry> out = new ArrayList<>(Math.min(max, byCookie.size()));
        if (afterCookie >= endCookie || max <= 0) {
            return out;
        }
        byCookie.forEach(afterCookie, endCookie, e -> {
            if (e.name().isListable()) {
                out.add(e);
            }
            return out.size() < max;
        });
        return out;
    }

    /** Every entry, in cookie order (a copy). */
    public List<DirEntry> all() {
        List<DirEntry> out = new ArrayList<>(byCookie.size());
        byCookie.forEach(out::add);
        return out;
    }
}
