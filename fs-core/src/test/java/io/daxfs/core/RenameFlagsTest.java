package io.daxfs.core;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.namei.Namespace;
import org.junit.jupiter.api.Test;

/**
 * renameat2 flags: RENAME_NOREPLACE and RENAME_EXCHANGE (an atomic swap of two names, with
 * directories' ".." and the parents' link counts following); RENAME_WHITEOUT is refused. Crash
 * atomicity is in the crash-state tests ("exchange ..." operations) and the model test.
 */
class RenameFlagsTest {
    private static final int WHITEOUT = 4;

    private static Errno errno(Runnable r) {
        return assertThrows(FsException.class, r::run).errno();
    }

    @Test
    void exchangeSwapsADirectoryAndAFileAcrossParents() {
        DaxDevice device = formattedDevice(8 << 20);
        long root;
        long a;
        long b;
        long sub;
        long file;
        try (DaxFileSystem fs = mount(device)) {
            root = fs.rootIno();
            a = fs.mkdir(root, "a", 0755, 0, 0).ino();
            b = fs.mkdir(root, "b", 0755, 0, 0).ino();
            sub = fs.mkdir(a, "sub", 0755, 0, 0).ino();
            file = createFile(fs, b, "file");
            assertEquals(3, fs.getattr(a).nlink());
            assertEquals(2, fs.getattr(b).nlink());
            fs.rename(a, "sub", b, "file", Namespace.RENAME_EXCHANGE);
            check(fs, a, b, sub, file);
        }
        try (DaxFileSystem fs = mount(device)) {
            check(fs, a, b, sub, file);
            byte[] crashed = MemoryDevice.snapshot(device);
            try (DaxFileSystem again = mount(MemoryDevice.fromImage(crashed))) {
                check(again, a, b, sub, file);
            }
        }
    }

    private static void check(DaxFileSystem fs, long a, long b, long sub, long file) {
        assertEquals(file, fs.lookup(a, "sub"));
        assertEquals(sub, fs.lookup(b, "file"));
        assertEquals(b, fs.lookup(sub, ".."), "'..' of the moved directory");
        assertEquals(2, fs.getattr(a).nlink(), "a lost a subdirectory");
        assertEquals(3, fs.getattr(b).nlink(), "b gained one");
        assertEquals(1, fs.getattr(file).nlink());
    }

    @Test
    void noreplaceExchangeAndRefusals() {
        try (DaxFileSystem fs = mount(formattedDevice(8 << 20))) {
            long root = fs.rootIno();
            long x = createFile(fs, root, "x");
            long y = createFile(fs, root, "y");
            long d = fs.mkdir(root, "d", 0755, 0, 0).ino();
            long inner = fs.mkdir(d, "inner", 0755, 0, 0).ino();
            assertEquals(Errno.EEXIST, errno(() -> fs.rename(root, "x", root, "y", Namespace.RENAME_NOREPLACE)));
            fs.rename(root, "x", root, "z", Namespace.RENAME_NOREPLACE);
            assertEquals(x, fs.lookup(root, "z"));
            fs.rename(root, "z", root, "y", Namespace.RENAME_EXCHANGE);
            assertEquals(y, fs.lookup(root, "z"));
            assertEquals(x, fs.lookup(root, "y"));
            assertEquals(Errno.ENOENT, errno(() -> fs.rename(root, "y", root, "none", Namespace.RENAME_EXCHANGE)));
            assertEquals(Errno.EINVAL, errno(() -> fs.rename(root, "d", d, "inner", Namespace.RENAME_EXCHANGE)),
                    "a directory cannot swap with its own child");
            assertEquals(Errno.EINVAL, errno(() -> fs.rename(root, "y", root, "z",
                    Namespace.RENAME_EXCHANGE | Namespace.RENAME_NOREPLACE)));
            assertEquals(Errno.EINVAL, errno(() -> fs.rename(root, "y", root, "w", WHITEOUT)));
            assertEquals(inner, fs.lookup(d, "inner"));
        }
    }
}
