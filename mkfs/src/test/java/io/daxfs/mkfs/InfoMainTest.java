package io.daxfs.mkfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.MountOptions;
import io.daxfs.core.Name;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.fs.DaxFileSystem;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InfoMainTest {
    private Path dir;
    private Path img;

    @BeforeEach
    void setUp() throws Exception {
        dir = Cli.scratch("info-test");
        img = dir.resolve("i.img");
        Cli.Result r = Cli.mkfs(dir, "-q", "-s", "16M", "-L", "inspect-me", "-U",
                "11111111-2222-4333-8444-555555555555", img.toString());
        assertEquals(0, r.code(), r.toString());
    }

    @AfterEach
    void tearDown() throws IOException {
        Cli.deleteTree(dir);
    }

    @Test
    void jsonCarriesTheSameFacts() throws Exception {
        Cli.Result r = Cli.info("-J", "-l", "-i", "1", img.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err());
        String json = r.out().trim();
        assertEquals(1, r.out().lines().count(), "one JSON object on one line: " + json);
        assertTrue(json.startsWith("{\"superblock\":{\"device\":"), json);
        for (String expected : new String[] {
            "\"uuid\":\"11111111-2222-4333-8444-555555555555\"", "\"label\":\"inspect-me\"",
            "\"format_version\":" + io.daxfs.core.format.Superblock.FORMAT_VERSION, "\"state\":\"clean\"",
            "\"block_count\":4096", "\"inode_count\":4096", "\"last_mounted\":null",
            "\"inode_table\":{\"first_block\":6,\"blocks\":64", "\"inodes_used\":1", "\"directories\":1",
            "\"inodes\":[{\"ino\":1,\"kind\":\"directory\",\"mode\":\"755\"", "\"inode\":{\"ino\":1",
            "\"entry\":\"INODE    mode=040755", "\"damaged\":false}"}) {
            assertTrue(json.contains(expected), expected + " in " + json);
        }
    }

    @Test
    void describesAFreshImage() throws Exception {
        String before = Cli.sha256(img);
        Cli.Result r = Cli.info(img.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err());
        String out = r.out();
        for (String expected : new String[] {
            "Primary superblock:   block 0: valid",
            "Backup superblock:    block 4095: valid",
            "Filesystem UUID:      11111111-2222-4333-8444-555555555555",
            "Label:                \"inspect-me\"",
            "Features:             none",
            "State:                clean",
            "Block count:          4096 (16 MiB)",
            "Inode count:          4096",
            "Mount count:          0",
            "Last mounted:         never",
            "inode table        blocks 6-69 (64)",
            "backup superblock  block 4095",
            "journal            block 1                    idle",
            "Usage (read-only mount):",
            "inodes in use:      1 of 4095 (files 0, directories 1, other 0)",
            "data blocks used:   1 of 4025",
        }) {
            assertTrue(out.contains(expected), "missing '" + expected + "' in:\n" + out);
        }
        assertEquals(before, Cli.sha256(img), "daxfs-info changed the image");
    }

    @Test
    void printsTheRootInodeAndItsLog() throws Exception {
        Cli.Result r = Cli.info("-i", "1", img.toString());
        assertEquals(0, r.code(), r.toString());
        String out = r.out();
        assertTrue(out.contains("Inode 1: record at byte " + (6 * 4096 + 64)), out);
        assertTrue(out.contains("checksum:    ok"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches(" +\\d+ \\(70\\+32\\) +INODE +mode=040755 .* nlink=2 .* parent=1 .*")),
                out);
        assertTrue(out.contains("Log segments (1): slot 70.0"), out);
        assertTrue(out.contains("Replayed: directory, mode 755"), out);
    }

    @Test
    void listsAndDumpsAPopulatedImage() throws Exception {
        long fileIno;
        try (DaxDevice d = DaxDevice.open(img, DeviceOptions.defaults());
                DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults())) {
            long sub = fs.mkdir(1, "sub", 0750, 0, 0).ino();
            fileIno = fs.create(sub, "hello.txt", 0100644, 0, 0, 0).ino();
            byte[] data = "hello, daxfs\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
            fs.write(fileIno, 0, MemorySegment.ofArray(data));
            fs.symlink(1, "link", "sub/hello.txt", 0, 0);
            fs.setxattr(fileIno, "user.note", "x".getBytes(StandardCharsets.UTF_8), 0);
            fs.create(1, Name.of(new byte[] {'a', (byte) 0xff, '"'}), 0100644, 0, 0, 0);
        }
        Cli.Result r = Cli.info("-l", "-i", String.valueOf(fileIno), img.toString());
        assertEquals(0, r.code(), r.toString());
        String out = r.out();
        assertTrue(out.contains("Mount count:          1"), out);
        assertTrue(out.contains("inodes in use:      5 of 4095 (files 2, directories 2, other 1)"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches(" +" + fileIno + " +regular +644 +1 +13000 +1")), out);
        assertTrue(out.lines().anyMatch(l -> l.matches(" +\\d+ +symlink +777 +1 +13 +1")), out);
        assertTrue(out.lines().anyMatch(l -> l.contains("WRITE    pgoff=0 count=4 block=")), out);
        assertTrue(out.lines().anyMatch(l -> l.contains("XATTR+   name=\"user.note\" length=1 value=78")), out);

        Cli.Result root = Cli.info("-i", "1", img.toString());
        assertTrue(root.out().contains("DENTRY+  name=\"sub\""), root.out());
        assertTrue(root.out().contains("kind=directory"), root.out());
        assertTrue(root.out().contains("DENTRY+  name=\"a\\xff\\\"\""), "a name that is not UTF-8, byte by byte: "
                + root.out());
    }

    @Test
    void saysWhenAnImageNeedsRecovery() throws Exception {
        try (DaxDevice d = DaxDevice.open(img, DeviceOptions.defaults())) {
            DaxFileSystem fs = DaxFileSystem.mount(d, MountOptions.defaults());
            fs.mkdir(1, "d", 0755, 0, 0);
            // no fs.close(): the image stays dirty, as after a crash
        }
        Cli.Result r = Cli.info(img.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("State:                dirty"), r.out());
        assertTrue(r.out().contains("NEEDS RECOVERY"), r.out());
        assertTrue(r.out().contains("inodes in use:      2 of 4095 (files 0, directories 2, other 0)"), r.out());
    }

    @Test
    void reportsADamagedPrimaryAndUsesTheBackup() throws Exception {
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 100);
        }
        Cli.Result r = Cli.info(img.toString());
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.out().contains("Primary superblock:   block 0: INVALID: superblock at byte 0 fails its checksum"),
                r.out());
        assertTrue(r.out().contains("(showing the backup copy)"), r.out());
        assertTrue(r.out().contains("\"inspect-me\""), r.out());
    }

    @Test
    void refusesWhatIsNotDaxfs() throws Exception {
        Path other = dir.resolve("zero.img");
        Files.write(other, new byte[1 << 20]);
        Cli.Result r = Cli.info(other.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().startsWith("daxfs-info: "), r.toString());
        assertTrue(r.out().contains("bad magic"), r.toString());
    }

    @Test
    void badArgumentsGiveOneLine() {
        for (String[] args : new String[][] {{}, {"-q", img.toString()}, {"-i", "x", img.toString()},
                {"-i", "999999", img.toString()}, {"-i", "0", img.toString()}, {dir.resolve("absent").toString()}}) {
            Cli.Result r = Cli.info(args);
            assertEquals(1, r.code(), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
            assertFalse(r.err().contains("\tat "), r.toString());
        }
        assertEquals(0, Cli.info("-h").code());
    }
}
