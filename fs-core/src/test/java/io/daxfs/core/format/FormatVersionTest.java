package io.daxfs.core.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FsFixture;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import org.junit.jupiter.api.Test;

/** mkfs writes {@link Superblock#FORMAT_VERSION}; mount refuses any other version in one line and writes nothing. */
class FormatVersionTest {

    @Test
    void mkfsWritesTheCurrentVersion() {
        assertEquals(Superblock.FORMAT_VERSION, Superblock.read(FsFixture.formattedDevice(4 << 20)).formatVersion());
    }

    @Test
    void anOlderVersionIsRefusedByMount() {
        for (int version : new int[] {Superblock.FORMAT_VERSION - 1, Superblock.FORMAT_VERSION + 1}) {
            DaxDevice device = FsFixture.formattedDevice(4 << 20);
            Superblock sb = Superblock.read(device);
            new Superblock(version, sb.features(), sb.totalBlocks(), sb.inodeCount(), sb.uuid(), sb.label(),
                    sb.state(), sb.createdNs(), sb.lastMountNs(), sb.lastWriteNs(), sb.mountCount(), sb.freeList())
                    .writeBoth(device);
            byte[] before = MemoryDevice.snapshot(device);
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> DaxFileSystem.mount(device, MountOptions.defaults()));
            assertTrue(e.unsupported());
            assertEquals("format version " + version + " is not supported: this daxfs reads only version "
                    + Superblock.FORMAT_VERSION + " (copy the files out with the daxfs that made it)", e.getMessage());
            assertArrayEquals(before, MemoryDevice.snapshot(device), "nothing written");
        }
    }
}
