package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.fs.DaxFileSystem;
import org.junit.jupiter.api.Test;

/** {@link DaxFileSystem#getattrByHandle}: (inode, generation) file handles, ESTALE once freed or reused. */
class FileHandleTest {
    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }

    @Test
    void handleFindsItsInodeUntilFreedAndNeverAReusedNumber() {
        DaxDevice device = formattedDevice(8 << 20);
        long ino;
        long generation;
        try (DaxFileSystem fs = mount(device)) {
            Attributes a = fs.create(fs.rootIno(), "f", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
            ino = a.ino();
            generation = a.generation();
            assertEquals(ino, fs.getattrByHandle(ino, generation).ino());
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(ino, generation + 1)));
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(999_999_999L, 1)));
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(0, 0)));
        }
        try (DaxFileSystem fs = mount(device)) {
            assertEquals(ino, fs.getattrByHandle(ino, generation).ino(), "handles outlive a remount");
            fs.open(ino);
            fs.unlink(fs.rootIno(), "f");
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(ino, generation)), "unlinked while open");
            fs.release(ino);
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(ino, generation)), "freed");
            Attributes again = fs.create(fs.rootIno(), "g", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
            assertEquals(ino, again.ino(), "the number is reused");
            assertNotEquals(generation, again.generation());
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(ino, generation)), "reused number");
            assertEquals(ino, fs.getattrByHandle(ino, again.generation()).ino());
        }
    }

    @Test
    void directoryHandlesAndTheirParents() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            Attributes root = fs.getattr(fs.rootIno());
            assertEquals(fs.rootIno(), fs.getattrByHandle(fs.rootIno(), root.generation()).ino());
            assertEquals(fs.rootIno(), fs.lookup(fs.rootIno(), ".."), "the root is its own parent");
            Attributes d = fs.mkdir(fs.rootIno(), "d", 0755, 0, 0);
            Attributes e = fs.mkdir(d.ino(), "e", 0755, 0, 0);
            assertEquals(d.ino(), fs.lookup(fs.getattrByHandle(e.ino(), e.generation()).ino(), ".."));
            fs.rename(d.ino(), "e", fs.rootIno(), "e", 0);
            assertEquals(fs.rootIno(), fs.lookup(e.ino(), ".."), "'..' follows a rename");
            assertEquals(Errno.ENOTDIR, errno(() -> fs.lookup(createFile(fs, d.ino(), "f"), "..")));
            fs.rmdir(fs.rootIno(), "e");
            assertEquals(Errno.ESTALE, errno(() -> fs.getattrByHandle(e.ino(), e.generation())));
        }
    }
}
