package io.daxfs.core.check;

import java.util.Objects;

/**
 * One finding of the {@link Checker}: what kind of damage, where (inode and block when they
 * apply, 0 otherwise) and a one-line message that says exactly what is wrong.
 */
public record Problem(Kind kind, long ino, long block, String message) {

    public Problem {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    /** How serious a finding is. */
    public enum Severity {
        /** Normal after a crash; mount (and fsck) recover it. Does not make fsck fail. */
        NOTICE,
        /** An inconsistency: the image breaks an invariant of docs/FORMAT.md. */
        ERROR,
        /** The check could not go on (no usable superblock, unsupported format). */
        FATAL
    }

    /**
     * The kinds of finding. {@link #phase} orders repairs (the {@link Repairer} fixes the lowest
     * phase present, then checks again); {@link #preenSafe} says whether {@code fsck -p} may fix it
     * without asking (nothing a user could miss is thrown away).
     */
    public enum Kind {
        // ---- superblocks ----
        SUPERBLOCK_UNUSABLE(Severity.FATAL, 0, false, "neither superblock copy is usable"),
        UNSUPPORTED_FORMAT(Severity.FATAL, 0, false, "format version or features this daxfs does not know"),
        SUPERBLOCK_PRIMARY_BAD(Severity.ERROR, 1, true, "primary superblock damaged; restored from the backup"),
        SUPERBLOCK_BACKUP_BAD(Severity.ERROR, 1, true, "backup superblock damaged; rewritten from the primary"),
        SUPERBLOCK_MISMATCH(Severity.ERROR, 1, true, "the copies disagree on geometry; backup rewritten from the primary"),
        SUPERBLOCK_TORN(Severity.NOTICE, 1, true, "superblock copy torn by a crash during its update; rewritten from its twin (as mount would)"),
        SUPERBLOCK_STALE_BACKUP(Severity.NOTICE, 1, true, "backup older than primary; rewritten from the primary"),
        // ---- journal ----
        JOURNAL_ACTIVE(Severity.NOTICE, 2, true, "interrupted operation; rolled back from the journal"),
        JOURNAL_ACTIVE_ON_CLEAN(Severity.ERROR, 2, true, "active journal on a clean filesystem; rolled back"),
        JOURNAL_DAMAGED(Severity.ERROR, 2, false, "journal unreadable; reset to idle without roll-back"),
        JOURNAL_TORN(Severity.NOTICE, 2, true, "journal lane torn by a crash before its operation stored anything; cleared (as mount would)"),
        // ---- inodes and logs ----
        ROOT_MISSING(Severity.ERROR, 3, false, "root directory missing; a new empty root is created"),
        INODE_RECORD_CHECKSUM(Severity.ERROR, 3, true, "inode record fails its checksum but its log is whole; checksum rewritten"),
        INODE_LOST(Severity.ERROR, 3, false, "inode beyond saving (record or first log entry damaged); record cleared"),
        LOG_DAMAGED(Severity.ERROR, 3, false, "log damaged; cut (tail moved) after its last valid entry"),
        SYMLINK_BAD(Severity.ERROR, 3, false, "symlink without a valid target block; inode cleared"),
        // ---- names, blocks, orphans ----
        DENTRY_BAD_NAME(Severity.ERROR, 4, false, "directory entry with an invalid name; entry removed"),
        DENTRY_TO_FREE_INODE(Severity.ERROR, 4, false, "directory entry names a free or cleared inode; entry removed"),
        DENTRY_KIND_MISMATCH(Severity.ERROR, 4, false, "directory entry kind differs from the inode's; entry removed"),
        DENTRY_TO_ROOT(Severity.ERROR, 4, false, "directory entry names the root; entry removed"),
        DENTRY_COOKIE_DUP(Severity.ERROR, 4, true, "directory entry reuses another entry's cookie; given a new one"),
        DIR_MULTIPLE_NAMES(Severity.ERROR, 4, false, "directory with more than one name; extra names removed"),
        BLOCK_DOUBLE_REF(Severity.ERROR, 4, false, "block referenced twice; the later owner gets a copy (or a hole)"),
        XATTR_BLOCK_DOUBLE_REF(Severity.ERROR, 4, false, "an xattr value's block is used elsewhere too; the xattr is removed"),
        ORPHAN_SLOT_BAD(Severity.ERROR, 4, true, "orphan slot names no orphan; slot cleared"),
        // ---- tree ----
        DISCONNECTED(Severity.ERROR, 5, false, "inode not reachable from the root; moved to /lost+found"),
        DIR_PARENT_WRONG(Severity.ERROR, 6, true, "directory's parent field wrong; corrected"),
        LINK_COUNT(Severity.ERROR, 6, true, "link count differs from the number of names; corrected"),
        ORPHAN_ON_CLEAN(Severity.ERROR, 6, true, "orphan listed on a cleanly unmounted filesystem; deleted"),
        ORPHAN_PENDING(Severity.NOTICE, 6, true, "orphan after a crash; deleted (as mount would)"),
        // ---- allocator ----
        FREE_LIST_BAD(Severity.ERROR, 7, true, "saved free list unreadable; rebuilt"),
        BLOCKS_LEAKED(Severity.ERROR, 7, true, "blocks neither used nor free; free list rebuilt"),
        BLOCKS_USED_AND_FREE(Severity.ERROR, 7, true, "blocks both used and free; free list rebuilt"),
        NOT_CLEAN(Severity.NOTICE, 7, true, "not cleanly unmounted; allocator rebuilt and marked clean"),
        // ---- the checker itself ----
        CHECK_ABORTED(Severity.FATAL, 0, false, "the checker stopped on an unexpected condition");

        private final Severity severity;
        private final int phase;
        private final boolean preenSafe;
        private final String repair;

        Kind(Severity severity, int phase, boolean preenSafe, String repair) {
            this.severity = severity;
            this.phase = phase;
            this.preenSafe = preenSafe;
            this.repair = repair;
        }

        public Severity severity() {
            return severity;
        }

        public int phase() {
            return phase;
        }

        public boolean preenSafe() {
            return preenSafe;
        }

        /** What the repair does about it, in a few words. */
        public String repair() {
            return repair;
        }
    }

    public Severity severity() {
        return kind.severity();
    }

    public boolean isError() {
        return kind.severity() != Severity.NOTICE;
    }

    /** The one line fsck prints. */
    @Override
    public String toString() {
        return (severity() == Severity.NOTICE ? "note: " : "") + message;
    }
}
