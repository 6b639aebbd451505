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

    /** Extended attribute {@code name} now has {@code value}. */
    record XattrSet(Name name, byte[] value, long timeNs) implements LogEntry {
        public XattrSet {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    /** Extended attribute {@code name} is gone. */
    record XattrDel(Name name, long timeNs) implements LogEntry {
        public XattrDel {
            Objects.requireNonNull(name, "name");
        }
    }
}
