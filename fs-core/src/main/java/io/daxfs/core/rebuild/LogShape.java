package io.daxfs.core.rebuild;

import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.Timestamp;
import io.daxfs.core.format.Layout;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogReader;
import java.util.Arrays;

/**
 * What one log says, read without building its inode, for the shape nearly every log has:
 * attribute entries, file writes that each map pages no earlier write mapped, directory names
 * added once each with growing cookies. Such a log says the same as its replay would: its kind,
 * links, size and parent are those of its last attributes, its data are the runs of its writes,
 * its names the targets of its entries; every time it carries is one a replay accepts. Any other
 * log (overwrites, truncations, removed or repeated names, xattrs) is "not simple": its reader
 * loads it whole instead. The log census
 * ({@link LogCensus}) and the checker count with it. One per thread, reused from log to log.
 */
public final class LogShape implements LogReader.Visitor {
    /** Thrown inside a walk (by the shape or its caller's screen) when a log must be loaded whole. */
    public static final class NotSimple extends RuntimeException {
        private NotSimple() {
            super(null, null, false, false);
        }
    }

    /** The one instance: it carries no stack and no message. */
    public static final NotSimple NOT_SIMPLE = new NotSimple();

    private final Layout layout;
    private final LogReader.Visitor screen;
    private final NameSet seen = new NameSet();
    private int entries;
    private FileKind kind;
    private long links;
    private long size;
    private long parent;
    private long pagesEnd;
    private long lastCookie;
    private long[] runs = new long[16];
    private int runCount;
    private long[] targets = new long[64];
    private int[] targetKinds = new int[64];
    private int targetCount;

    /**
     * A shape for logs on a device of {@code layout}; {@code screen} sees every entry after the
     * shape took it in (and may throw {@link #NOT_SIMPLE}).
     */
    public LogShape(Layout layout, LogReader.Visitor screen) {
        this.layout = layout;
        this.screen = screen;
    }

    /**
     * Reads the log of {@code ino} with {@code reader}; returns its segments, or null if the log
     * is not of the simple shape (or has a size its kind cannot have: the load says why).
     *
     * @throws io.daxfs.core.log.LogCorruptException if the reader finds the log damaged
     */
    public InodeLog read(LogReader reader, long ino, long head, long tail) {
        entries = 0;
        runCount = 0;
        targetCount = 0;
        pagesEnd = 0;
        lastCookie = Long.MIN_VALUE;
        seen.clear();
        InodeLog log;
        try {
            log = reader.read(ino, head, tail, this);
        } catch (NotSimple e) {
            return null;
        }
        boolean symlink = kind == FileKind.SYMLINK;
        if (entries == 0 || size < 0 || size > (symlink ? Layout.BLOCK_SIZE - 1 : Layout.MAX_FILE_SIZE)) {
            return null;
        }
        return log;
    }

    @Override
    public void entry(LogEntry entry, long deviceOffset) {
        if (entries++ == 0) {
            if (!(entry instanceof InodeEntry first)) {
                throw NOT_SIMPLE;
            }
            try {
                kind = FileKind.fromMode(first.mode());
            } catch (FsException e) {
                throw NOT_SIMPLE;
            }
            attrs(first);
        } else {
            switch (entry) {
                case InodeEntry e -> attrs(e);
                case WriteEntry w -> write(w);
                case DentryAdd d -> name(d);
                default -> throw NOT_SIMPLE;
            }
        }
        screen.entry(entry, deviceOffset);
    }

    private void attrs(InodeEntry e) {
        links = Integer.toUnsignedLong(e.nlink());
        size = e.size();
        parent = e.parent();
    }

    /** A write that maps only pages no earlier write touched (the loader's bounds checks first). */
    private void write(WriteEntry w) {
        if (kind == FileKind.DIRECTORY || w.pgoff() < pagesEnd || w.count() < 1 || !Timestamp.validNanos(w.timeNs())
                || w.count() > Layout.MAX_FILE_SIZE / Layout.BLOCK_SIZE - w.pgoff()) {
            throw NOT_SIMPLE;
        }
        if (!w.isHole()) {
            if (!layout.isDataBlock(w.block()) || w.count() > layout.dataEndBlock() - w.block()) {
                throw NOT_SIMPLE;
            }
            if (runCount + 3 > runs.length) {
                runs = Arrays.copyOf(runs, runs.length * 2);
            }
            runs[runCount++] = w.pgoff();
            runs[runCount++] = w.block();
            runs[runCount++] = w.count();
        }
        pagesEnd = w.pgoff() + w.count();
        size = w.size();
    }

    /** A name added to a directory for the first time, with a cookie above the last one. */
    private void name(DentryAdd d) {
        if (kind != FileKind.DIRECTORY || d.cookie() <= lastCookie || !Timestamp.validNanos(d.timeNs())
                || !seen.add(d.name().hash64())) {
            throw NOT_SIMPLE;
        }
        try {
            FileKind.fromMode(d.kindBits());
        } catch (FsException e) {
            throw NOT_SIMPLE;
        }
        lastCookie = d.cookie();
        if (targetCount == targets.length) {
            targets = Arrays.copyOf(targets, targetCount * 2);
            targetKinds = Arrays.copyOf(targetKinds, targetCount * 2);
        }
        targetKinds[targetCount] = d.kindBits();
        targets[targetCount++] = d.ino();
    }

    public FileKind kind() {
        return kind;
    }

    /** The link count of the last attributes. */
    public long links() {
        return links;
    }

    public long size() {
        return size;
    }

    /** The parent field of the last attributes. */
    public long parent() {
        return parent;
    }

    /** Data runs mapped: each is {file page, block, count}. */
    public int runs() {
        return runCount / 3;
    }

    public long runPage(int i) {
        return runs[3 * i];
    }

    public long runBlock(int i) {
        return runs[3 * i + 1];
    }

    public long runCount(int i) {
        return runs[3 * i + 2];
    }

    /** Directory entries added, in log order. */
    public int names() {
        return targetCount;
    }

    /** The inode entry {@code i} names. */
    public long target(int i) {
        return targets[i];
    }

    /** The kind bits (S_IFMT) entry {@code i} gives its inode. */
    public int targetKind(int i) {
        return targetKinds[i];
    }

    /**
     * The hashes of the names of one directory, to tell a name added twice (which replaces the
     * first: the log is then loaded whole). A hash seen twice is treated as a repeat, so a rare
     * collision costs a load, never a wrong count. Cleared in O(1) per directory.
     */
    private static final class NameSet {
        private long[] keys = new long[256];
        private int[] stamps = new int[256];
        private int stamp = 1;
        private int size;

        void clear() {
            stamp++;
            size = 0;
            if (stamp == Integer.MAX_VALUE) {
                Arrays.fill(stamps, 0);
                stamp = 1;
            }
        }

        /** Adds {@code hash}; false if it was there. */
        boolean add(long hash) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int i = (int) (mix(hash) & mask);
            while (stamps[i] == stamp) {
                if (keys[i] == hash) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            stamps[i] = stamp;
            keys[i] = hash;
            size++;
            return true;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldStamps = stamps;
            int live = stamp;
            keys = new long[oldKeys.length * 2];
            stamps = new int[oldKeys.length * 2];
            stamp = 1;
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldStamps[i] == live) {
                    add(oldKeys[i]);
                }
            }
        }

        private static long mix(long h) {
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            return h ^ (h >>> 33);
        }
    }
}
