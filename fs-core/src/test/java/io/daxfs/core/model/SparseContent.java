package io.daxfs.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reference content of a regular file: a size and the 4 KiB pages that may hold non-zero
 * bytes. Everything else below the size reads as zeros. Sparse, so files of a TiB cost nothing.
 */
final class SparseContent {
    static final int PAGE = 4096;

    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private long size;

    long size() {
        return size;
    }

    /** Page numbers that may hold non-zero bytes. */
    List<Long> pageNumbers() {
        return new ArrayList<>(pages.keySet());
    }

    void write(long offset, byte[] src) {
        long pos = offset;
        int done = 0;
        while (done < src.length) {
            long page = pos / PAGE;
            int in = (int) (pos % PAGE);
            int n = Math.min(PAGE - in, src.length - done);
            byte[] p = pages.computeIfAbsent(page, k -> new byte[PAGE]);
            System.arraycopy(src, done, p, in, n);
            done += n;
            pos += n;
        }
        size = Math.max(size, offset + src.length);
    }

    /** Up to {@code length} bytes from {@code offset}, as read(2) returns them. */
    byte[] read(long offset, int length) {
        if (offset >= size) {
            return new byte[0];
        }
        int n = (int) Math.min(length, size - offset);
        byte[] out = new byte[n];
        long pos = offset;
        int done = 0;
        while (done < n) {
            long page = pos / PAGE;
            int in = (int) (pos % PAGE);
            int k = Math.min(PAGE - in, n - done);
            byte[] p = pages.get(page);
            if (p != null) {
                System.arraycopy(p, in, out, done, k);
            }
            done += k;
            pos += k;
        }
        return out;
    }

    /** Zeroes {@code [from, to)} (no size change). */
    void zero(long from, long to) {
        if (to <= from) {
            return;
        }
        long first = from / PAGE;
        long last = (to - 1) / PAGE;
        for (Map.Entry<Long, byte[]> e : new ArrayList<>(pages.subMap(first, true, last, true).entrySet())) {
            long start = e.getKey() * PAGE;
            int a = (int) Math.max(0, from - start);
            int b = (int) Math.min(PAGE, to - start);
            if (a == 0 && b == PAGE) {
                pages.remove(e.getKey());
            } else {
                Arrays.fill(e.getValue(), a, b, (byte) 0);
            }
        }
    }

    /** truncate(2): bytes past the new size are gone (a later grow reads zeros). */
    void setSize(long newSize) {
        if (newSize < size) {
            zero(newSize, Long.MAX_VALUE);
        }
        size = newSize;
    }

    void extendTo(long newSize) {
        size = Math.max(size, newSize);
    }
}
