package io.daxfs.core.namei;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.Name;
import io.daxfs.core.Timestamp;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.format.Layout;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.DentryDel;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.volume.Transaction;
import io.daxfs.core.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Operations on names (NOVA's {@code namei}): create in all its forms, link, unlink, rmdir and
 * rename. Each is one {@link Transaction}, so it is atomic across every inode it touches. Callers
 * hold the volume's namespace lock and the write locks of the inodes involved.
 */
public final class Namespace {
    /** Most names one inode can have. */
    public static final int MAX_LINKS = 65000;
    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;

    private final Volume volume;

    public Namespace(Volume volume) {
        this.volume = volume;
    }

    /** Checks that {@code dir} is a live directory in which {@code name} may be created. */
    public void checkCreatable(Inode dir, Name name) {
        Names.check(name);
        requireLiveDirectory(dir);
        if (dir.directory().lookup(name) != null) {
            throw new FsException(Errno.EEXIST, "'" + name + "' exists");
        }
    }

    /**
     * Creates inode {@code name} in {@code dir} with {@code mode} (type bits and permissions);
     * for a symlink, {@code target} is its content.
     */
    public Inode create(Inode dir, Name name, int mode, int uid, int gid, long rdev, byte[] target, long now) {
        checkCreatable(dir, name);
        FileKind kind = FileKind.fromMode(mode);
        byte[] targetBytes = kind == FileKind.SYMLINK ? checkedTarget(target) : null;
        InodeTable table = volume.inodeTable();
        long ino = table.reserve();
        InodeLog log = null;
        Extent targetBlock = null;
        try {
            log = volume.logWriter().newLog(ino, BlockAllocator.Use.DATA);
            long generation = table.generation(ino) + 1;
            table.writeNewRecord(ino, log.head(), generation);
            int flags = dir.attrs().flags() & io.daxfs.core.Attributes.FLAG_DAX;
            long size = 0;
            WriteEntry targetEntry = null;
            if (kind == FileKind.SYMLINK) {
                size = targetBytes.length;
                targetBlock = writeSymlinkTarget(targetBytes);
                targetEntry = new WriteEntry(0, targetBlock.start(), 1, size, now);
            }
            Timestamp t = Timestamp.ofNanos(now);
            InodeEntry attrs = new InodeEntry(mode, uid, gid, flags, kind == FileKind.DIRECTORY ? 2 : 1, rdev, size,
                    t, t, t, t, dir.ino(), 0);
            Inode inode = new Inode(ino, generation, attrs, log);
            Transaction tx = volume.begin().append(inode, attrs);
            if (targetEntry != null) {
                tx.append(inode, targetEntry);
            }
            tx.append(dir, new DentryAdd(name, ino, kind.typeBits(), dir.directory().nextCookie(), now)).commit();
            volume.register(inode);
            return inode;
        } catch (RuntimeException e) {
            if (log != null) {
                volume.logWriter().discard(log);
            }
            if (targetBlock != null) {
                volume.allocator().free(targetBlock);
            }
            table.release(ino);
            throw e;
        }
    }

    /**
     * O_TMPFILE: a regular file with no name, made in {@code dir} (whose DAX flag it inherits),
     * with a link count of 0 and on the orphan list in the same commit, so a crash reclaims it.
     * {@link #link} may name it later. ENOSPC when the orphan list is full.
     */
    public Inode createUnnamed(Inode dir, int mode, int uid, int gid, long now) {
        requireLiveDirectory(dir);
        if (FileKind.fromMode(mode) != FileKind.REGULAR) {
            throw new FsException(Errno.EINVAL, "an unnamed file must be a regular file");
        }
        InodeTable table = volume.inodeTable();
        long ino = table.reserve();
        int slot = -1;
        InodeLog log = null;
        try {
            slot = volume.orphans().reserve();
            log = volume.logWriter().newLog(ino, BlockAllocator.Use.DATA);
            long generation = table.generation(ino) + 1;
            table.writeNewRecord(ino, log.head(), generation);
            int flags = dir.attrs().flags() & io.daxfs.core.Attributes.FLAG_DAX;
            Timestamp t = Timestamp.ofNanos(now);
            InodeEntry attrs = new InodeEntry(mode, uid, gid, flags, 0, 0, 0, t, t, t, t, dir.ino(), 0);
            Inode inode = new Inode(ino, generation, attrs, log);
            volume.begin().append(inode, attrs).setWord(OrphanTable.slotOffset(slot), ino).commit();
            inode.setOrphanSlot(slot);
            inode.setLinkable(true);
            volume.register(inode);
            return inode;
        } catch (RuntimeException e) {
            if (log != null) {
                volume.logWriter().discard(log);
            }
            if (slot >= 0) {
                volume.orphans().release(slot);
            }
            table.release(ino);
            throw e;
        }
    }

    /** A symlink target is any bytes but NUL, 1 to 4095 of them; it is stored as it is. */
    private static byte[] checkedTarget(byte[] target) {
        byte[] bytes = target.clone();
        for (byte b : bytes) {
            if (b == 0) {
                throw new FsException(Errno.EINVAL, "symlink target contains NUL");
            }
        }
        if (bytes.length == 0 || bytes.length >= Layout.BLOCK_SIZE) {
            throw new FsException(bytes.length == 0 ? Errno.ENOENT : Errno.ENAMETOOLONG,
                    "symlink target of " + bytes.length + " bytes");
        }
        return bytes;
    }

    private Extent writeSymlinkTarget(byte[] bytes) {
        Extent block = volume.allocator().allocate(1, false, BlockAllocator.Use.DATA).getFirst();
        long offset = Layout.offsetOf(block.start());
        volume.device().zero(offset, Layout.BLOCK_SIZE);
        volume.device().copyIn(MemorySegment.ofArray(bytes), offset);
        return block;
    }

    /** Gives {@code inode} one more name, {@code name} in {@code dir}. */
    public void link(Inode inode, Inode dir, Name name, long now) {
        checkCreatable(dir, name);
        if (inode.isDirectory()) {
            throw new FsException(Errno.EPERM, "hard links to directories are not allowed");
        }
        if (inode.isDeleted() || (inode.nlink() == 0 && !inode.isLinkable())) {
            throw new FsException(Errno.ENOENT, "inode " + inode.ino() + " has no name left");
        }
        if (Integer.toUnsignedLong(inode.nlink()) >= MAX_LINKS) {
            throw new FsException(Errno.EMLINK, "inode " + inode.ino() + " has " + MAX_LINKS + " links");
        }
        Transaction tx = volume.begin()
                .append(inode, withLinks(inode, inode.nlink() + 1, now))
                .append(dir, new DentryAdd(name, inode.ino(), inode.kind().typeBits(), dir.directory().nextCookie(), now));
        int slot = inode.nlink() == 0 ? inode.orphanSlot() : -1;
        if (slot >= 0) {
            tx.setWord(OrphanTable.slotOffset(slot), 0); // an unnamed file gets its first name: no longer an orphan
        }
        tx.commit();
        if (slot >= 0) {
            volume.orphans().release(slot);
            inode.setOrphanSlot(-1);
            inode.setLinkable(false);
        }
    }

    /** Removes the name of a non-directory. */
    public void unlink(Inode dir, Name name, Inode victim, long now) {
        DirEntry entry = existing(dir, name);
        if (victim.isDirectory()) {
            throw new FsException(Errno.EISDIR, "'" + name + "' is a directory");
        }
        Transaction tx = volume.begin().releasing().append(dir, new DentryDel(name, entry.cookie(), now));
        dropLink(tx, victim, now);
        commitDropping(tx, victim);
    }

    /** Removes an empty directory. */
    public void rmdir(Inode dir, Name name, Inode victim, long now) {
        DirEntry entry = existing(dir, name);
        if (!victim.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "'" + name + "' is not a directory");
        }
        if (!victim.directory().isEmpty()) {
            throw new FsException(Errno.ENOTEMPTY, "'" + name + "' is not empty");
        }
        requireTrustedLinks(victim);
        volume.begin().releasing().append(dir, new DentryDel(name, entry.cookie(), now)).delete(victim).commit();
    }

    /**
     * Renames {@code srcName} in {@code srcDir} to {@code dstName} in {@code dstDir}. {@code moved}
     * is the inode named by the source, {@code replaced} the one named by the destination (or null).
     */
    public void rename(Inode srcDir, Name srcName, Inode moved, Inode dstDir, Name dstName, Inode replaced,
            int flags, long now) {
        Names.check(dstName);
        requireLiveDirectory(dstDir);
        DirEntry src = existing(srcDir, srcName);
        DirEntry dst = dstDir.directory().lookup(dstName);
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0
                || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
            throw new FsException(Errno.EINVAL, "unsupported rename flags " + flags);
        }
        if ((flags & RENAME_EXCHANGE) != 0) {
            if (dst == null) {
                throw new FsException(Errno.ENOENT, "'" + dstName + "' does not exist");
            }
            exchange(srcDir, src, moved, dstDir, dst, replaced, now);
            return;
        }
        if (dst != null && (flags & RENAME_NOREPLACE) != 0) {
            throw new FsException(Errno.EEXIST, "'" + dstName + "' exists");
        }
        if (dst != null && dst.ino() == src.ino()) {
            return;
        }
        if (moved.isDirectory()) {
            checkNotAncestor(moved, dstDir);
        }
        if (replaced != null) {
            if (moved.isDirectory() && !replaced.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, "'" + dstName + "' is not a directory");
            }
            if (!moved.isDirectory() && replaced.isDirectory()) {
                throw new FsException(Errno.EISDIR, "'" + dstName + "' is a directory");
            }
            if (replaced.isDirectory() && !replaced.directory().isEmpty()) {
                throw new FsException(Errno.ENOTEMPTY, "'" + dstName + "' is not empty");
            }
        }
        Transaction tx = replaced != null ? volume.begin().releasing() : volume.begin();
        List<LogEntry> srcEntries = new ArrayList<>();
        List<LogEntry> dstEntries = srcDir == dstDir ? srcEntries : new ArrayList<>();
        srcEntries.add(new DentryDel(srcName, src.cookie(), now));
        if (dst != null) {
            dstEntries.add(new DentryDel(dstName, dst.cookie(), now));
        }
        dstEntries.add(new DentryAdd(dstName, moved.ino(), moved.kind().typeBits(), dstDir.directory().nextCookie(),
                now));
        tx.append(srcDir, srcEntries);
        if (dstEntries != srcEntries) {
            tx.append(dstDir, dstEntries);
        }
        tx.append(moved, movedEntry(moved, dstDir, now));
        if (replaced != null) {
            if (replaced.isDirectory()) {
                requireTrustedLinks(replaced);
                tx.delete(replaced);
            } else {
                dropLink(tx, replaced, now);
            }
        }
        commitDropping(tx, replaced);
    }

    private void exchange(Inode srcDir, DirEntry src, Inode a, Inode dstDir, DirEntry dst, Inode b, long now) {
        if (src.ino() == dst.ino()) {
            return;
        }
        if (srcDir != dstDir) {
            if (a.isDirectory()) {
                checkNotAncestor(a, dstDir);
            }
            if (b.isDirectory()) {
                checkNotAncestor(b, srcDir);
            }
        }
        List<LogEntry> srcEntries = new ArrayList<>();
        List<LogEntry> dstEntries = srcDir == dstDir ? srcEntries : new ArrayList<>();
        long srcCookie = srcDir.directory().nextCookie();
        long dstCookie = srcDir == dstDir ? srcCookie + 1 : dstDir.directory().nextCookie();
        srcEntries.add(new DentryDel(src.name(), src.cookie(), now));
        dstEntries.add(new DentryDel(dst.name(), dst.cookie(), now));
        srcEntries.add(new DentryAdd(src.name(), b.ino(), b.kind().typeBits(), srcCookie, now));
        dstEntries.add(new DentryAdd(dst.name(), a.ino(), a.kind().typeBits(), dstCookie, now));
        Transaction tx = volume.begin().append(srcDir, srcEntries);
        if (dstEntries != srcEntries) {
            tx.append(dstDir, dstEntries);
        }
        tx.append(a, movedEntry(a, dstDir, now)).append(b, movedEntry(b, srcDir, now)).commit();
    }

    /** The moved inode's new ctime, and for a directory its new parent. */
    private static InodeEntry movedEntry(Inode moved, Inode newParent, long now) {
        InodeEntry a = moved.snapshotEntry();
        long parent = moved.isDirectory() ? newParent.ino() : a.parent();
        return new InodeEntry(a.mode(), a.uid(), a.gid(), a.flags(), a.nlink(), a.rdev(), a.size(), a.atime(),
                a.mtime(), Timestamp.ofNanos(now), a.btime(), parent, a.nextCookie());
    }

    /** EINVAL if {@code dir} would become its own descendant by moving into {@code target}. */
    private void checkNotAncestor(Inode dir, Inode target) {
        long ino = target.ino();
        for (int depth = 0; depth < 1_000_000; depth++) {
            if (ino == dir.ino()) {
                throw new FsException(Errno.EINVAL, "cannot move a directory into itself");
            }
            if (ino == Layout.ROOT_INO) {
                return;
            }
            ino = volume.inode(ino).attrs().parent();
        }
        throw new FsException(Errno.ELOOP, "directory parents form a loop");
    }

    /**
     * Adds to {@code tx} what losing one name does to {@code victim}: at its last name an open
     * file, or one the kernel still has looked up while a slot can spare, becomes an orphan;
     * anything else is deleted now.
     */
    private void dropLink(Transaction tx, Inode victim, long now) {
        long links = Integer.toUnsignedLong(victim.nlink()) - 1; // the count is a u32 on the media
        if (links > 0) {
            tx.append(victim, withLinks(victim, (int) links, now));
            return;
        }
        requireTrustedLinks(victim);
        boolean heldOnly = victim.openCount() == 0 && volume.lookups().held(victim.ino());
        int slot = victim.openCount() > 0 ? volume.orphans().reserve() : heldOnly ? volume.orphans().reserveSpare() : -1;
        if (slot >= 0) {
            victim.setOrphanSlot(slot);
            tx.append(victim, withLinks(victim, 0, now)).setWord(OrphanTable.slotOffset(slot), victim.ino());
        } else {
            tx.delete(victim);
        }
    }

    /**
     * Refuses (EIO) to delete an inode whose link count the mount found not to match its names: a
     * crafted count of 1 on a file with 3,000 names must not let one unlink delete it (issue #13
     * point 3).
     */
    private void requireTrustedLinks(Inode victim) {
        if (!volume.verification().linkCountTrusted(victim.ino())) {
            throw new FsException(Errno.EIO, "inode " + victim.ino() + ": its link count does not match its names, "
                    + "so it is not deleted; run fsck.daxfs");
        }
    }

    /**
     * Commits, giving back a reserved orphan slot if the commit fails. Once committed, a victim
     * kept only because the kernel still has it looked up is due at its FORGET; the caller still
     * holds its lock, so that FORGET cannot settle it before it is recorded.
     */
    private void commitDropping(Transaction tx, Inode victim) {
        try {
            tx.commit();
        } catch (RuntimeException e) {
            if (victim != null && victim.orphanSlot() >= 0 && victim.nlink() != 0) {
                volume.orphans().release(victim.orphanSlot());
                victim.setOrphanSlot(-1);
            }
            throw e;
        }
        if (victim != null && victim.nlink() == 0 && victim.orphanSlot() >= 0 && victim.openCount() == 0) {
            volume.pendingReclaims().due(victim.ino());
        }
    }

    private static InodeEntry withLinks(Inode inode, int links, long now) {
        InodeEntry a = inode.attrs();
        return new InodeEntry(a.mode(), a.uid(), a.gid(), a.flags(), links, a.rdev(), a.size(), a.atime(),
                a.mtime(), Timestamp.ofNanos(now), a.btime(), a.parent(), a.nextCookie());
    }

    private static DirEntry existing(Inode dir, Name name) {
        requireLiveDirectory(dir);
        DirEntry entry = dir.directory().lookup(name);
        if (entry == null) {
            throw new FsException(Errno.ENOENT, "'" + name + "' does not exist");
        }
        return entry;
    }

    private static void requireLiveDirectory(Inode dir) {
        if (!dir.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "inode " + dir.ino() + " is not a directory");
        }
        if (dir.isDeleted()) {
            throw new FsException(Errno.ENOENT, "directory " + dir.ino() + " was removed");
        }
    }
}
