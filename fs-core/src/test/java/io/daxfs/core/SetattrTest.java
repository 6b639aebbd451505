package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static io.daxfs.core.FsFixture.readAll;
import static io.daxfs.core.FsFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.fs.AttrChange;
import io.daxfs.core.fs.DaxFileSystem;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link DaxFileSystem#setattr}: mode, owner, size and times in one transaction, with the set-id
 * rules of chown and truncate; all of it or nothing when the commit fails. (Crash atomicity is in
 * {@code crash.CrashStateTest}, operation "setattr bar".)
 */
class SetattrTest {
    private static final int USER = 1000;
    private static final long SEC = 1_000_000_000L;
    private static final int PAGE = 4096;

    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }

    @Test
    void appliesModeOwnerSizeAndTimesTogether() {
        DaxDevice device = formattedDevice(8 << 20);
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, filled(20_000, 7));
            Timestamp before = fs.getattr(f).ctime();
            Attributes a = fs.setattr(f, AttrChange.NONE.withMode(0600).withOwner(USER, 2000).withSize(5000)
                    .withTimes(10, 1, 20, 2), USER);
            assertEquals(FileKind.REGULAR.typeBits() | 0600, a.mode());
            assertEquals(USER, a.uid());
            assertEquals(2000, a.gid());
            assertEquals(5000, a.size());
            assertEquals(new Timestamp(10, 1), a.atime());
            assertEquals(new Timestamp(20, 2), a.mtime(), "an explicit mtime wins over truncate's");
            assertTrue(a.ctime().compareTo(before) >= 0);
            assertEquals(2, a.blocks() / 8, "the pages past the new size are released");
        }
        try (DaxFileSystem fs = mount(device)) {
            long f = fs.lookup(fs.rootIno(), "f");
            assertArrayEquals(filled(5000, 7), readAll(fs, f));
            assertEquals(USER, fs.getattr(f).uid());
            assertEquals(new Timestamp(20, 2), fs.getattr(f).mtime());
        }
    }

    @Test
    void setIdRulesOfChownAndTruncateApplyAfterAnExplicitMode() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long f = createFile(fs, fs.rootIno(), "f");
            fs.setattr(f, AttrChange.NONE.withMode(06755).withOwner(USER, AttrChange.KEEP), DaxFileSystem.ROOT_UID);
            assertEquals(0755, mode(fs, f), "a new owner clears both with group-exec");
            fs.setattr(f, AttrChange.NONE.withMode(06745).withOwner(AttrChange.KEEP, USER), DaxFileSystem.ROOT_UID);
            assertEquals(02745, mode(fs, f), "set-gid without group-exec stays on chown");
            fs.setattr(f, AttrChange.NONE.withMode(06755).withSize(10), DaxFileSystem.ROOT_UID);
            assertEquals(06755, mode(fs, f), "root's truncate keeps them");
            fs.setattr(f, AttrChange.NONE.withSize(3), USER);
            assertEquals(0755, mode(fs, f), "a user's truncate clears them");
            long d = fs.mkdir(fs.rootIno(), "d", 02755, 0, 0).ino();
            fs.setattr(d, AttrChange.NONE.withOwner(USER, USER), DaxFileSystem.ROOT_UID);
            assertEquals(02755, mode(fs, d), "a directory keeps set-gid on chown");
            Timestamp now = fs.getattr(f).mtime();
            fs.setattr(f, AttrChange.NONE.withSize(100), USER);
            assertTrue(fs.getattr(f).mtime().compareTo(now) >= 0, "truncate sets mtime");
        }
    }

    @Test
    void refusesWithoutChangingAnything() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0).ino();
            assertEquals(Errno.EISDIR, errno(() -> fs.setattr(d, AttrChange.NONE.withMode(0700).withSize(0), 0)));
            assertEquals(0755, mode(fs, d));
            long f = createFile(fs, fs.rootIno(), "f");
            assertEquals(Errno.EINVAL, errno(() -> fs.setattr(f, AttrChange.NONE.withMode(0600).withSize(-1), 0)));
            assertEquals(Errno.EISDIR, errno(() -> fs.setattr(d, AttrChange.NONE.withSize(-1), 0)), "the inode first");
            assertEquals(Errno.EFBIG, errno(() -> fs.setattr(f, AttrChange.NONE.withMode(0600).withSize(Long.MAX_VALUE), 0)));
            assertEquals(0644, mode(fs, f));
            assertEquals(Errno.EINVAL, errno(() -> fs.setattr(f, AttrChange.NONE.withMode(0600).withTimes(0, 2 * SEC, 0,
                    DaxFileSystem.UTIME_OMIT), 0)));
            assertEquals(0644, mode(fs, f));
        }
    }

    /** A commit that needs a new log page and gets ENOSPC leaves mode, owner, size and times as they were. */
    @Test
    void aFailedCommitChangesNothing() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, filled(9000, 1));
            int failures = 0;
            for (int i = 0; i < 2000 && failures < 3; i++) {
                Attributes before = fs.getattr(f);
                long size = i % 2 == 0 ? 9000 : 5000 + i;
                fs.volume().allocator().failAllocation(1);
                try {
                    fs.setattr(f, AttrChange.NONE.withMode(i & 0777).withOwner(i, i).withSize(size).withTimes(i, 0, i, 0), 0);
                    assertEquals(size, fs.getattr(f).size());
                } catch (FsException e) {
                    assertEquals(Errno.ENOSPC, e.errno());
                    failures++;
                    Attributes after = fs.getattr(f);
                    assertEquals(before, after, "a failed setattr changed the inode");
                } finally {
                    fs.volume().allocator().failAllocation(0);
                }
            }
            assertEquals(3, failures, "no setattr needed a new log page");
        }
    }

    /**
     * Shrinking frees space, so on a full device it must not fail (ext4 does not) even when
     * metadata appends have used what they may of the reserve: setattr's one commit (shrink and
     * mode) takes its log page from the reserve, and so does an unlink.
     */
    @Test
    void shrinkAndUnlinkWorkOnAFullDeviceWithAFullLogPage() {
        DaxDevice device = formattedDevice(4 << 20);
        try (DaxFileSystem fs = mount(device)) {
            long f = createFile(fs, fs.rootIno(), "f");
            write(fs, f, 0, filled(8 * PAGE, 3));
            long g = createFile(fs, fs.rootIno(), "g");
            assertEquals(Errno.ENOSPC, errno(() -> {
                for (long at = 0; ; at += PAGE) {
                    write(fs, g, at, filled(PAGE, 4));
                }
            }));
            assertEquals(0, fs.statfs().availableBlocks());
            fillLog(fs, f);
            fs.setattr(f, AttrChange.NONE.withSize(5 * PAGE + 123).withMode(0640), USER);
            assertEquals(5 * PAGE + 123, fs.getattr(f).size());
            assertEquals(0640, mode(fs, f));
            fillLog(fs, g);
            fs.unlink(fs.rootIno(), "g");
            write(fs, f, 5 * PAGE + 123, filled(PAGE, 5));
        }
        assertTrue(io.daxfs.core.check.Checker.check(device).errors().isEmpty());
        try (DaxFileSystem fs = mount(device)) {
            assertEquals(6 * PAGE + 123, fs.getattr(fs.lookup(fs.rootIno(), "f")).size());
        }
    }

    /** Appends to the inode's log until the metadata share of the reserve is gone too (or for long). */
    private static void fillLog(DaxFileSystem fs, long ino) {
        try {
            for (int i = 0; i < 20_000; i++) {
                fs.chmod(ino, 0600 | (i & 077));
            }
        } catch (FsException full) {
            assertEquals(Errno.ENOSPC, full.errno());
        }
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static int mode(DaxFileSystem fs, long ino) {
        return fs.getattr(ino).mode() & 07777;
    }
}
