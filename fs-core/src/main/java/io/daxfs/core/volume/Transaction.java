package io.daxfs.core.volume;

import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogWriter.Staged;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One atomic change of the filesystem: entries appended to one or more inode logs, inodes
 * deleted, orphan slots set. {@link #commit} stages every append, then publishes all commit words
 * at once: a single tail store when there is only one, the journal otherwise. Then the DRAM
 * state follows and blocks that stopped being referenced are released. The callers hold the locks
 * of every inode involved.
 */
public final class Transaction {
    private final Volume volume;
    /**
     * The inodes appended to, in order ({@link #appended} of them), and each one's entries at the
     * same index: arrays, not a map nor lists, as a change touches one to four inodes and a
     * {@code LinkedHashMap} was five of the dozen objects each create and unlink left for the young
     * collector. An inode's entries are an immutable one-entry list until a second comes, as they
     * usually do not.
     */
    private Inode[] inodes = new Inode[2];
    private List<?>[] appends = new List<?>[2];
    private int appended;
    /** Null until the first: creates and most changes delete nothing and set no orphan slot. */
    private List<Inode> deletions;
    /** (offset, value) pairs; null until the first. */
    private List<long[]> words;
    private BlockAllocator.Use use = BlockAllocator.Use.METADATA;

    Transaction(Volume volume) {
        this.volume = volume;
    }

    /** Appends {@code entry} to {@code inode}'s log (no varargs array for the usual one entry). */
    public Transaction append(Inode inode, LogEntry entry) {
        int i = indexOf(inode);
        if (i < 0) {
            add(inode, List.of(entry));
        } else {
            mutableEntries(i).add(entry);
        }
        return this;
    }

    /** Appends {@code entries} to {@code inode}'s log. */
    public Transaction append(Inode inode, List<LogEntry> entries) {
        int i = indexOf(inode);
        if (i < 0) {
            add(inode, List.copyOf(entries)); // no copy of an immutable list; mutableEntries copies on a second append
        } else {
            mutableEntries(i).addAll(entries);
        }
        return this;
    }

    /** The index of {@code inode} (the same object) among those appended to, or -1. */
    private int indexOf(Inode inode) {
        for (int i = 0; i < appended; i++) {
            if (inodes[i] == inode) {
                return i;
            }
        }
        return -1;
    }

    private void add(Inode inode, List<LogEntry> entries) {
        if (appended == inodes.length) {
            inodes = Arrays.copyOf(inodes, appended * 2);
            appends = Arrays.copyOf(appends, appended * 2);
        }
        inodes[appended] = inode;
        appends[appended++] = entries;
    }

    @SuppressWarnings("unchecked") // appends holds only List<LogEntry>, put there by add
    private List<LogEntry> entries(int i) {
        return (List<LogEntry>) appends[i];
    }

    /** Inode {@code i}'s entries, made an {@code ArrayList} if they were the one-entry list. */
    private List<LogEntry> mutableEntries(int i) {
        List<LogEntry> entries = entries(i);
        if (!(entries instanceof ArrayList)) {
            entries = new ArrayList<>(entries);
            appends[i] = entries;
        }
        return entries;
    }

    /** Deletes {@code inode}: its tail word becomes 0, its blocks are released after the commit. */
    public Transaction delete(Inode inode) {
        if (deletions == null) {
            deletions = new ArrayList<>(1);
        }
        deletions.add(inode);
        return this;
    }

    /** Stores {@code value} into the commit word at {@code offset} (an orphan slot). */
    public Transaction setWord(long offset, long value) {
        if (words == null) {
            words = new ArrayList<>(1);
        }
        words.add(new long[] {offset, value});
        return this;
    }

    /**
     * Marks this change as one that gives space back (unlink, rmdir, a shrinking truncate, punch,
     * removexattr): its log pages may come from the whole metadata reserve, so it works on a full
     * device.
     */
    public Transaction releasing() {
        use = BlockAllocator.Use.RELEASE;
        return this;
    }

    /**
     * Publishes every commit word: a single one stored alone (most changes: one tail, and no arrays
     * built for it), more through the journal.
     */
    private void publish(Staged[] staged, int deletionCount, int wordCount) {
        int count = appended + deletionCount + wordCount;
        if (count == 1) {
            if (appended == 1) {
                volume.publish(volume.inodeTable().tailOffset(inodes[0].ino()), staged[0].newTail());
            } else if (deletionCount == 1) {
                volume.publish(volume.inodeTable().tailOffset(deletions.getFirst().ino()), 0);
            } else {
                volume.publish(words.getFirst()[0], words.getFirst()[1]);
            }
            return;
        }
        long[] offsets = new long[count];
        long[] values = new long[count];
        int n = 0;
        for (int i = 0; i < appended; i++) {
            offsets[n] = volume.inodeTable().tailOffset(inodes[i].ino());
            values[n++] = staged[i].newTail();
        }
        for (int i = 0; i < deletionCount; i++) {
            offsets[n] = volume.inodeTable().tailOffset(deletions.get(i).ino());
            values[n++] = 0;
        }
        for (int i = 0; i < wordCount; i++) {
            long[] word = words.get(i);
            offsets[n] = word[0];
            values[n++] = word[1];
        }
        volume.journal().commit(offsets, values);
    }

    /** Makes the whole change durable and visible, or (on an exception) none of it. */
    public void commit() {
        Staged[] staged = new Staged[appended];
        int stagedCount = 0;
        try {
            for (; stagedCount < staged.length; stagedCount++) {
                Inode inode = inodes[stagedCount];
                staged[stagedCount] = volume.logWriter().stage(inode.ino(), inode.log(), entries(stagedCount), use);
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < stagedCount; i++) {
                volume.logWriter().unstage(staged[i]);
            }
            throw e;
        }
        int deletionCount = deletions == null ? 0 : deletions.size();
        int wordCount = words == null ? 0 : words.size();
        publish(staged, deletionCount, wordCount);
        BiConsumer<Long, Long> release = volume.freed();
        for (int i = 0; i < appended; i++) {
            Inode inode = inodes[i];
            staged[i].publishTo(inode.log());
            List<LogEntry> entries = entries(i);
            for (int j = 0; j < entries.size(); j++) { // indexed: an iterator was garbage of every commit
                inode.apply(entries.get(j), release);
            }
        }
        for (int i = 0; i < deletionCount; i++) {
            volume.forget(deletions.get(i));
        }
    }
}
