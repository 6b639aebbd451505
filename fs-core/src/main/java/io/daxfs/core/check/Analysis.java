package io.daxfs.core.check;

import io.daxfs.core.FileKind;
import io.daxfs.core.Name;
import io.daxfs.core.balloc.SlotSet;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.inode.Inode;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything one check learnt about an image, kept for the {@link Repairer}: the inodes as their
 * valid log prefixes left them, the blocks in use, and each finding with the fix that repairs it.
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

    /** One in-use inode record and what its log says. */
    static final class InodeInfo {
        final long ino;
        final long tail;
        final long head;
        final long generation;
        final boolean crcValid;
        /** The state replayed from the valid part of the log; null when nothing of it is usable. */
        Inode inode;
        /** Whether the inode survives repair (a valid first entry, record checksum ok or repairable). */
        boolean live;
        /** Tail after the last valid entry (== tail when the log is whole). */
        long validTail;
        /** Valid names of this inode, filled by the namespace check. */
        final List<NameRef> names = new ArrayList<>();

        InodeInfo(long ino, long tail, long head, long generation, boolean crcValid) {
            this.ino = ino;
            this.tail = tail;
            this.head = head;
            this.generation = generation;
            this.crcValid = crcValid;
        }

        FileKind kind() {
            return inode.kind();
        }
    }

    final DaxDevice device;
    Superblock superblock;
    Superblock primary;
    Superblock backup;
    Layout layout;
    /** Commit words as an active journal's roll-back will leave them. */
    final Map<Long, Long> overlay = new HashMap<>();
    final TreeMap<Long, InodeInfo> inodes = new TreeMap<>();
    /** Valid orphans: inode to slot. */
    final Map<Long, Integer> orphans = new HashMap<>();
    /** Blocks in use: log pages, packed pages and file data. */
    final BitSet used = new BitSet();
    /** The log slots that live logs start in. */
    final SlotSet slots = new SlotSet();
    final List<Finding> findings = new ArrayList<>();
    CheckReport.Stats stats = CheckReport.Stats.NONE;

    Analysis(DaxDevice device) {
        this.device = device;
    }

    /** The 8-byte word at {@code offset} as mount will see it (after a journal roll-back). */
    long word(long offset) {
        Long v = overlay.get(offset);
        return v != null ? v : device.getLong(offset);
    }

    InodeInfo live(long ino) {
        InodeInfo info = inodes.get(ino);
        return info != null && info.live ? info : null;
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
