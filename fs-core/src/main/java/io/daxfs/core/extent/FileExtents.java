package io.daxfs.core.extent;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The DRAM index of one file: which device block holds each file page (NOVA's per-inode radix
 * tree). A radix tree indexed by page number: interior nodes of {@value #FANOUT} slots, leaves of
 * {@value #LEAF_PAGES} pages. A leaf is either an array of block numbers (0 for a hole; shorter
 * than a whole leaf when its last pages are holes, so a small file costs a few bytes) or, when all
 * its pages lie in one contiguous device run, just the run's first block. Looking up or replacing
 * a page is a few array loads, however fragmented the file; a sequentially written file costs a
 * few bytes per 2 MiB. Empty leaves and nodes are dropped. Guarded by the inode lock.
 */
public final class FileExtents {
    /** Pages {@code [pgoff, pgoff+count)} in blocks {@code [block, block+count)}. */
    public record Run(long pgoff, long block, long count) {
        public long end() {
            return pgoff + count;
        }

        /** The device block of file page {@code page}, which this run must cover. */
        public long blockOf(long page) {
            return block + (page - pgoff);
        }
    }

    private static final int LEAF_BITS = 9;
    private static final int LEAF_PAGES = 1 << LEAF_BITS;
    private static final int NODE_BITS = 6;
    private static final int FANOUT = 1 << NODE_BITS;
    /** Heights beyond this cover more than any file can have pages (2^63). */
    private static final int MAX_HEIGHT = (63 - LEAF_BITS + NODE_BITS - 1) / NODE_BITS;

    /** A leaf whose every page is mapped, page {@code i} at block {@code first + i}. */
    private record Contiguous(long first) {}

    /** A leaf ({@code long[]} or {@link Contiguous}) when {@link #height} is 0, else an {@code Object[FANOUT]}. */
    private Object root;
    private int height;
    private long mappedPages;
    /** What {@link #memoryBytes} reports, kept up to date as leaves and nodes change. */
    private long memoryBytes;
    private static final long NODE_BYTES = 16 + 4L * FANOUT;

    /** Pages that have a block (what {@code st_blocks} counts). */
    public long mappedPages() {
        return mappedPages;
    }

    /** The device block of {@code page}, or 0 for a hole. */
    public long blockOf(long page) {
        Object leaf = leafOf(page);
        return leaf == null ? 0 : leafBlock(leaf, (int) (page & (LEAF_PAGES - 1)));
    }

    /** The run covering {@code page} (as {@link #find(long, long)} up to {@code page + 1}), or null for a hole. */
    public Run find(long page) {
        return find(page, page + 1);
    }

    /**
     * The run that starts at {@code page} and goes on while the next page lies in the next device
     * block, up to {@code limit} at most (and at least to {@code page + 1}); null when {@code page}
     * is a hole.
     */
    public Run find(long page, long limit) {
        long block = blockOf(page);
        if (block == 0) {
            return null;
        }
        long end = page + 1;
        while (end < limit) {
            Object leaf = leafOf(end);
            if (leaf == null) {
                break;
            }
            int i = (int) (end & (LEAF_PAGES - 1));
            long expect = block + (end - page);
            if (leaf instanceof Contiguous c) {
                if (c.first() + i != expect) {
                    break;
                }
                end = Math.min(limit, end - i + LEAF_PAGES);
                continue;
            }
            long[] blocks = (long[]) leaf;
            int stop = (int) Math.min(blocks.length, i + (limit - end));
            int j = i;
            while (j < stop && blocks[j] == expect + (j - i)) {
                j++;
            }
            end += j - i;
            if (j < LEAF_PAGES) {
                break;
            }
        }
        return new Run(page, block, end - page);
    }

    /** The first mapped page after {@code page}, or -1 when there is none. */
    public long nextMapped(long page) {
        if (page < 0 || page + 1 >= capacity(height)) {
            return -1;
        }
        return firstMappedFrom(root, height, 0, page + 1);
    }

    /** One past the last mapped page, 0 when nothing is mapped. */
    public long mappedEnd() {
        Object node = root;
        long base = 0;
        for (int h = height; h > 0 && node != null; h--) {
            Object[] slots = (Object[]) node;
            int i = FANOUT - 1;
            while (i >= 0 && slots[i] == null) {
                i--;
            }
            if (i < 0) {
                return 0;
            }
            base += i * capacity(h - 1);
            node = slots[i];
        }
        if (node == null) {
            return 0;
        }
        if (node instanceof Contiguous) {
            return base + LEAF_PAGES;
        }
        long[] blocks = (long[]) node;
        for (int i = blocks.length - 1; i >= 0; i--) {
            if (blocks[i] != 0) {
                return base + i + 1;
            }
        }
        return 0;
    }

    /**
     * Points pages {@code [pgoff, pgoff+count)} at {@code block..} (or makes them a hole when
     * {@code block} is 0). Each run of blocks that no longer backs a page is passed to
     * {@code replaced} as (block, count).
     */
    public void replace(long pgoff, long count, long block, BiConsumer<Long, Long> replaced) {
        if (pgoff < 0 || count <= 0 || pgoff + count < 0) {
            throw new IllegalArgumentException("bad page range " + pgoff + "+" + count);
        }
        Freed freed = new Freed(replaced);
        if (block == 0) {
            if (pgoff < capacity(height)) {
                root = clear(root, height, 0, pgoff, Math.min(pgoff + count, capacity(height)), freed);
            }
        } else {
            while (pgoff + count > capacity(height)) {
                grow();
            }
            for (long page = pgoff; page < pgoff + count; ) {
                long leafEnd = Math.min(pgoff + count, (page | (LEAF_PAGES - 1)) + 1);
                setInLeaf(page, leafEnd, block + (page - pgoff), freed);
                page = leafEnd;
            }
        }
        freed.flush();
    }

    /** All runs in file order, each as long as the device blocks stay contiguous. */
    public List<Run> runs() {
        return runsIn(0, Long.MAX_VALUE);
    }

    /** Runs of the mapped pages of {@code [pgoff, pgoff+count)}, cut to that range, in order. */
    public List<Run> runsIn(long pgoff, long count) {
        List<Run> out = new ArrayList<>();
        long end = count > Long.MAX_VALUE - pgoff ? Long.MAX_VALUE : pgoff + count;
        long page = blockOf(pgoff) != 0 ? pgoff : nextMapped(pgoff);
        while (page >= 0 && page < end) {
            Run run = find(page, end);
            out.add(run);
            page = nextMapped(run.end() - 1);
        }
        return out;
    }

    /**
     * DRAM the index takes, estimated from its arrays and objects: what the benchmark reports and
     * what the inode cache weighs. Constant time (counted as the tree changes).
     */
    public long memoryBytes() {
        return memoryBytes;
    }

    // ---- the tree ----

    /** Pages a subtree of height {@code h} covers (saturating at Long.MAX_VALUE). */
    private static long capacity(int h) {
        int bits = LEAF_BITS + NODE_BITS * h;
        return bits >= 63 ? Long.MAX_VALUE : 1L << bits;
    }

    private static int slotOf(long page, int h) {
        return (int) ((page >>> (LEAF_BITS + NODE_BITS * (h - 1))) & (FANOUT - 1));
    }

    private Object leafOf(long page) {
        if (page < 0 || page >= capacity(height)) {
            return null;
        }
        Object node = root;
        for (int h = height; h > 0 && node != null; h--) {
            node = ((Object[]) node)[slotOf(page, h)];
        }
        return node;
    }

    private static long leafBlock(Object leaf, int i) {
        if (leaf instanceof Contiguous c) {
            return c.first() + i;
        }
        long[] blocks = (long[]) leaf;
        return i < blocks.length ? blocks[i] : 0;
    }

    private void grow() {
        if (height >= MAX_HEIGHT) {
            throw new IllegalStateException("page index beyond the largest file");
        }
        if (root != null) {
            Object[] top = new Object[FANOUT];
            top[0] = root;
            root = top;
            memoryBytes += NODE_BYTES;
        }
        height++;
    }

    /** Sets pages {@code [from, to)} (within one leaf) to {@code block..}, reporting the blocks they had. */
    private void setInLeaf(long from, long to, long block, Freed freed) {
        Object[] parent = null;
        int slot = 0;
        Object node = root;
        for (int h = height; h > 0; h--) {
            if (node == null) {
                node = new Object[FANOUT];
                memoryBytes += NODE_BYTES;
                if (parent == null) {
                    root = node;
                } else {
                    parent[slot] = node;
                }
            }
            parent = (Object[]) node;
            slot = slotOf(from, h);
            node = parent[slot];
        }
        int i = (int) (from & (LEAF_PAGES - 1));
        int n = (int) (to - from);
        long[] blocks = writableLeaf(node, i + n);
        for (int k = 0; k < n; k++) {
            long old = blocks[i + k];
            if (old == 0) {
                mappedPages++;
            } else {
                freed.add(old);
            }
            blocks[i + k] = block + k;
        }
        Object leaf = i + n == LEAF_PAGES ? compact(blocks) : blocks;
        memoryBytes += leafBytes(leaf) - leafBytes(node);
        if (parent == null) {
            root = leaf;
        } else {
            parent[slot] = leaf;
        }
    }

    /** The leaf as an array at least {@code length} long (a new one when it must change form). */
    private static long[] writableLeaf(Object leaf, int length) {
        if (leaf instanceof Contiguous c) {
            long[] blocks = new long[LEAF_PAGES];
            for (int k = 0; k < LEAF_PAGES; k++) {
                blocks[k] = c.first() + k;
            }
            return blocks;
        }
        long[] blocks = (long[]) leaf;
        if (blocks != null && blocks.length >= length) {
            return blocks;
        }
        int size = length <= 1 ? 1 : Math.min(LEAF_PAGES, Integer.highestOneBit(length - 1) << 1);
        long[] bigger = new long[size];
        if (blocks != null) {
            System.arraycopy(blocks, 0, bigger, 0, blocks.length);
        }
        return bigger;
    }

    /** A whole leaf of one contiguous run as a {@link Contiguous}; otherwise the array itself. */
    private static Object compact(long[] blocks) {
        if (blocks.length < LEAF_PAGES || blocks[0] == 0) {
            return blocks;
        }
        for (int k = 1; k < LEAF_PAGES; k++) {
            if (blocks[k] != blocks[0] + k) {
                return blocks;
            }
        }
        return new Contiguous(blocks[0]);
    }

    /**
     * Makes pages {@code [from, to)} holes in the subtree {@code node} of height {@code h} that
     * starts at page {@code base}; returns the subtree to keep (null when it became empty).
     */
    private Object clear(Object node, int h, long base, long from, long to, Freed freed) {
        if (node == null) {
            return null;
        }
        if (h == 0) {
            Object leaf = clearInLeaf(node, (int) (from - base), (int) (to - base), freed);
            memoryBytes += leafBytes(leaf) - leafBytes(node);
            return leaf;
        }
        Object[] slots = (Object[]) node;
        long child = capacity(h - 1);
        boolean empty = true;
        for (int s = 0; s < FANOUT; s++) {
            long start = base + s * child;
            if (slots[s] != null && start < to && start + child > from) {
                slots[s] = clear(slots[s], h - 1, start, Math.max(from, start), Math.min(to, start + child), freed);
            }
            empty &= slots[s] == null;
        }
        if (empty) {
            memoryBytes -= NODE_BYTES;
            return null;
        }
        return node;
    }

    private Object clearInLeaf(Object leaf, int from, int to, Freed freed) {
        long[] blocks = writableLeaf(leaf, 0);
        int stop = Math.min(to, blocks.length);
        for (int k = from; k < stop; k++) {
            if (blocks[k] != 0) {
                freed.add(blocks[k]);
                blocks[k] = 0;
                mappedPages--;
            }
        }
        for (long b : blocks) {
            if (b != 0) {
                return blocks;
            }
        }
        return null;
    }

    /** The first mapped page at or after {@code from} in the subtree at {@code base}, or -1. */
    private static long firstMappedFrom(Object node, int h, long base, long from) {
        if (node == null) {
            return -1;
        }
        if (h == 0) {
            int i = (int) Math.max(0, from - base);
            if (node instanceof Contiguous) {
                return i < LEAF_PAGES ? base + i : -1;
            }
            long[] blocks = (long[]) node;
            for (int k = i; k < blocks.length; k++) {
                if (blocks[k] != 0) {
                    return base + k;
                }
            }
            return -1;
        }
        Object[] slots = (Object[]) node;
        long child = capacity(h - 1);
        int s = (int) Math.max(0, (from - base) / child);
        for (; s < FANOUT; s++) {
            long found = firstMappedFrom(slots[s], h - 1, base + s * child, from);
            if (found >= 0) {
                return found;
            }
        }
        return -1;
    }

    /** Bytes of one leaf: an array's header and slots, or a {@link Contiguous}; 0 for none. */
    private static long leafBytes(Object leaf) {
        if (leaf == null) {
            return 0;
        }
        return leaf instanceof long[] blocks ? 16 + 8L * blocks.length : 16;
    }

    /** Collects the blocks that lose their page into runs for the caller's callback. */
    private static final class Freed {
        private final BiConsumer<Long, Long> sink;
        private long start;
        private long count;

        Freed(BiConsumer<Long, Long> sink) {
            this.sink = sink;
        }

        void add(long block) {
            if (count > 0 && block == start + count) {
                count++;
                return;
            }
            flush();
            start = block;
            count = 1;
        }

        void flush() {
            if (count > 0) {
                sink.accept(start, count);
                count = 0;
            }
        }
    }
}
