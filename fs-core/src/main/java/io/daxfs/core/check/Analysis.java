package io.daxfs.core.check;

import io.daxfs.core.FileKind;
import io.daxfs.core.Name;
import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.rebuild.InodeLoader;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one check learnt about an image, kept for the {@link Repairer}: the inodes as their
 * valid log prefixes left them (counted, or replayed), the blocks in use, and each finding with the
 * fix that repairs it.
 */
final class Analysis {
    /** A repair step, run by the {@link Repairer} against the image this analysis describes. */
    @FunctionalInterface
    interface Fix {
        void apply(Repairer.Context ctx);
    }

    record Finding(Problem problem, Fix fix) {}

    /** A name of an inode: entry {@code name} (added with {@code cookie}) in directory {@code dir}. */
    record NameRef(long dir, Name name, long cookie) {}

    /**
     * One in-use inode and what its log says. An inode whose log is whole and of the simple shape
     * ({@link io.daxfs.core.rebuild.LogShape}) is counted, not built: it keeps its kind, links,
     * parent and sizes only ({@link #inode} null until a repair loads it). Any other keeps the
     * inode its valid log prefix replays to.
     */
    static final class InodeInfo {
        final long ino;
        FileKind kind;
        /** Whether the inode survives repair (a valid first entry, record checksum ok or repairable). */
        boolean live;
        /** Link count and parent field of its last attributes. */
        int nlink;
        long parent;
        /** Log pages it owns (its slot not included) and data blocks it maps (xattr values included). */
        long logBlocks;
        long dataPages;
        /** The state replayed from the valid part of the log; null for a counted inode. */
        Inode inode;
        /** A directory's entries as counted (null if it was replayed, or is not a directory). */
        Entries entries;
        /** Valid names of a non-directory, counted by the namespace check. */
        int nameCount;
        /** The one name kept for a directory (the namespace check), or null. */
        NameRef name;
        /** The inodes a directory's kept entries name (the namespace check), for the tree walk. */
        InodeInfo[] children = NO_CHILDREN;
        int childCount;

        InodeInfo(long ino) {
            this.ino = ino;
        }

        FileKind kind() {
            return kind;
        }

        /** Keeps {@code replayed} (the valid log prefix replayed) and what it says. */
        void replayed(Inode replayed) {
            inode = replayed;
            entries = null;
            kind = replayed.kind();
            nlink = replayed.attrs().nlink();
            parent = replayed.attrs().parent();
            logBlocks = replayed.log().ownedBlocks();
            long[] data = {replayed.extents() == null ? 0 : replayed.extents().mappedPages()};
            replayed.forEachXattrBlock((block, count) -> data[0] += count);
            dataPages = data[0];
        }

        void addChild(InodeInfo child) {
            if (childCount == children.length) {
                children = java.util.Arrays.copyOf(children, Math.max(4, 2 * childCount));
            }
            children[childCount++] = child;
        }
    }

    private static final InodeInfo[] NO_CHILDREN = {};

    /**
     * A counted directory's entries in log order: the inode each names and the kind it gives it,
     * and the names of those that name directories (the namespace check keeps one per directory).
     */
    record Entries(long[] targets, int[] kindBits, List<NameRef> dirNames) {}

    final DaxDevice device;
    Superblock superblock;
    Superblock primary;
    Superblock backup;
    Layout layout;
    /** Commit words as an active journal's roll-back will leave them. */
    final Map<Long, Long> overlay = new HashMap<>();
    /** Every in-use inode, in inode order (an array: a million take no boxed keys). */
    InodeInfo[] inodes = {};
    /** The in-use inode numbers as bits, and per word of them the number of bits set before it. */
    private long[] inUse = {};
    private int[] rank = {};
    /** Valid orphans: inode to slot. */
    final Map<Long, Integer> orphans = new HashMap<>();
    /** Blocks in use: log pages, packed pages and file data. */
    BitSet used = new BitSet();
    /** The log slots that live logs start in. */
    SlotSet slots = new SlotSet();
    final List<Finding> findings = new ArrayList<>();
    CheckReport.Stats stats = CheckReport.Stats.NONE;
    private InodeLoader loader;

    Analysis(DaxDevice device) {
        this.device = device;
    }

    /** The 8-byte word at {@code offset} as mount will see it (after a journal roll-back). */
    long word(long offset) {
        if (overlay.isEmpty()) {
            return device.getLong(offset);
        }
        Long v = overlay.get(offset);
        return v != null ? v : device.getLong(offset);
    }

    /** Takes {@code infos}, one per bit of {@code used}, in inode order. */
    void setInodes(InodeInfo[] infos, BitSet used) {
        inUse = used.toLongArray();
        rank = new int[inUse.length];
        int before = 0;
        for (int w = 0; w < inUse.length; w++) {
            rank[w] = before;
            before += Long.bitCount(inUse[w]);
        }
        if (before != infos.length) {
            throw new IllegalStateException(infos.length + " inodes read, " + before + " in use");
        }
        inodes = infos;
    }

    /** The in-use inode {@code ino}, or null: its rank among the bits in use is its index. */
    InodeInfo info(long ino) {
        if (ino < 0 || (ino >>> 6) >= inUse.length) {
            return null;
        }
        int w = (int) (ino >>> 6);
        long bit = 1L << ino;
        return (inUse[w] & bit) == 0 ? null : inodes[rank[w] + Long.bitCount(inUse[w] & (bit - 1))];
    }

    InodeInfo live(long ino) {
        InodeInfo info = info(ino);
        return info != null && info.live ? info : null;
    }

    /** The inode of {@code info}, loaded from its whole log if it was counted (repairs need it). */
    Inode inode(InodeInfo info) {
        if (info.inode == null) {
            if (loader == null) {
                loader = new InodeLoader(new InodeTable(device, layout), new LogReader(device, layout));
            }
            info.inode = loader.loadOrThrow(info.ino);
        }
        return info.inode;
    }

    void add(Problem.Kind kind, long ino, long block, String message, Fix fix) {
        findings.add(finding(kind, ino, block, message, fix));
    }

    /** A finding not yet added (the parallel log checks gather theirs first). */
    static Finding finding(Problem.Kind kind, long ino, long block, String message, Fix fix) {
        return new Finding(new Problem(kind, ino, block, message), fix);
    }

    List<Problem> problems() {
        return findings.stream().map(Finding::problem).toList();
    }
}
