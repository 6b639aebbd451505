package io.daxfs.core.log;

import io.daxfs.core.Name;
import io.daxfs.core.Timestamp;
import java.util.Objects;

/**
 * One change recorded in an inode's log (docs/FORMAT.md, "Log entries"). Replaying an inode's
 * entries in order, up to its committed tail, gives its current state; the latest
 * {@link InodeEntry} holds every attribute.
 */
public sealed interface LogEntry {

    /** Attribute snapshot: written at creation, on every attribute change and by compaction. */
    record InodeEntry(int mode, int uid, int gid, int flags, int nlink, long rdev, long size, Timestamp atime,
            Timestamp mtime, Timestamp ctime, Timestamp btime, long parent, long nextCookie) implements LogEntry {
        public InodeEntry {
            Objects.requireNonNull(atime, "atime");
            Objects.requireNonNull(mtime, "mtime");
            Objects.requireNonNull(ctime, "ctime");
            Objects.requireNonNull(btime, "btime");
        }
    }

    /**
     * File pages {@code [pgoff, pgoff+count)} now live in blocks {@code [block, block+count)}, or
     * are a hole when {@code block} is 0. Carries the file size and modification time after it.
     */
    record WriteEntry(long pgoff, long block, long count, long size, long timeNs) implements LogEntry {
        public boolean isHole() {
            return block == 0;
        }
    }

    /** Directory entry {@code name} now names inode {@code ino}; {@code cookie} orders listings. */
    record DentryAdd(Name name, long ino, int kindBits, long cookie, long timeNs) implements LogEntry {
        public DentryAdd {
            Objects.requireNonNull(name, "name");
        }
    }

    /** Directory entry {@code name} (added with {@code cookie}) is gone. */
    record DentryDel(Name name, long cookie, long timeNs) implements LogEntry {
        public DentryDel {
            Objects.requireNonNull(name, "name");
        }
    }

    /** What an inode holds for one extended attribute: its value in the entry, or in blocks of its own. */
    sealed interface XattrValue permits XattrSet, XattrRef {
        Name name();

        /** Bytes of the value. */
        int length();
    }

    /** Extended attribute {@code name} now has {@code value}, stored in the entry. */
    record XattrSet(Name name, byte[] value, long timeNs) implements LogEntry, XattrValue {
        public XattrSet {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public int length() {
            return value.length;
        }
    }

    /**
     * Extended attribute {@code name} now has the {@code length}-byte value stored in
     * {@code blocks} (one per 4 KiB of it, in order; the last one zero-padded). The blocks belong
     * to the inode until the attribute is replaced or removed, or the inode deleted.
     */
    record XattrRef(Name name, int length, long[] blocks, long timeNs) implements LogEntry, XattrValue {
        public XattrRef {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(blocks, "blocks");
        }
    }

    /** Extended attribute {@code name} is gone. */
    record XattrDel(Name name, long timeNs) implements LogEntry {
        public XattrDel {
            Objects.requireNonNull(name, "name");
        }
    }
}
