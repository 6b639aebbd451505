package io.daxfs.core.volume;

import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogWriter.Staged;
import java.util.ArrayList;
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
     * The inodes appended to, in order, and each one's entries at the same index: lists, not a
     * map, as a change touches one to four inodes and a {@code LinkedHashMap} was five of the
     * dozen objects each create and unlink left for the young collector.
     */
    private final List<Inode> inodes = new ArrayList<>(2);
    private final List<List<LogEntry>> appends = new ArrayList<>(2);
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
        entriesOf(inode).add(entry);
        return this;
    }

    /** Appends {@code entries} to {@code inode}'s log. */
    public Transaction append(Inode inode, LogEntry... entries) {
        List<LogEntry> list = entriesOf(inode);
        for (LogEntry entry : entries) {
            list.add(entry);
        }
        return this;
    }

    /** Appends {@code entries} to {@code inode}'s log. */
    public Transaction append(Inode inode, List<LogEntry> entries) {
        entriesOf(inode).addAll(entries);
        return this;
    }

    /** The entries to append to {@code inode}'s log (the same inode object, as the map was). */
    private List<LogEntry> entriesOf(Inode inode) {
        for (int i = 0; i < inodes.size(); i++) {
            if (inodes.get(i) == inode) {
                return appends.get(i);
            }
        }
        List<LogEntry> list = new ArrayList<>(4);
        inodes.add(inode);
        appends.add(list);
        return list;
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

    /** Makes the whole change durable and visible, or (on an exception) none of it. */
    public void commit() {
        Staged[] staged = new Staged[inodes.size()];
        int stagedCount = 0;
        try {
            for (; stagedCount < staged.length; stagedCount++) {
                Inode inode = inodes.get(stagedCount);
                staged[stagedCount] = volume.logWriter().stage(inode.ino(), inode.log(), appends.get(stagedCount), use);
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < stagedCount; i++) {
                volume.logWriter().unstage(staged[i]);
            }
            throw e;
        }
        int deletionCount = deletions == null ? 0 : deletions.size();
        int wordCount = words == null ? 0 : words.size();
        int count = inodes.size() + deletionCount + wordCount;
        long[] offsets = new long[count];
        long[] values = new long[count];
        int n = 0;
        for (int i = 0; i < inodes.size(); i++) {
            offsets[n] = volume.inodeTable().tailOffset(inodes.get(i).ino());
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
        if (count == 1) {
            volume.publish(offsets[0], values[0]);
        } else {
            volume.journal().commit(offsets, values);
        }
        BiConsumer<Long, Long> release = volume::release;
        for (int i = 0; i < inodes.size(); i++) {
            Inode inode = inodes.get(i);
            staged[i].publishTo(inode.log());
            List<LogEntry> entries = appends.get(i);
            for (int j = 0; j < entries.size(); j++) { // indexed: an iterator was garbage of every commit
                inode.apply(entries.get(j), release);
            }
        }
        for (int i = 0; i < deletionCount; i++) {
            volume.forget(deletions.get(i));
        }
    }
}
