package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.dax.DaxMapping;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bound on DRAM inodes (issue 11 point 4, {@link InodeCache}): an inode whose state is not in
 * its log (open, orphan, dirty, mapped) is never dropped, and an inode someone holds is the only
 * copy. The bound at scale (a million files walked twice) is {@link MillionFileTreeTest}.
 */
class InodeCacheTest {
    @Test
    void anOpenUnlinkedFileStaysInDramAndIsDeletedAtItsLastClose() {
        try (DaxDevice device = MemoryDevice.allocate(8L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withIndexCacheBytes(0))) {
                long freeInodes = fs.statfs().freeInodes();
                long f = fs.create(fs.rootIno(), "f", 0100644, 0, 0, 0).ino();
                fs.write(f, 0, MemorySegment.ofArray("kept".getBytes(StandardCharsets.UTF_8)));
                fs.open(f);
                fs.unlink(fs.rootIno(), "f");
                System.gc();
                byte[] back = new byte[4];
                assertEquals(4, fs.read(f, 0, MemorySegment.ofArray(back)), "an open orphan is readable");
                assertArrayEquals("kept".getBytes(StandardCharsets.UTF_8), back);
                assertEquals(1, fs.volume().residentInodes().size(), "the open orphan is held resident");
                fs.release(f);
                assertEquals(0, fs.volume().residentInodes().size());
                assertEquals(freeInodes, fs.statfs().freeInodes(), "the orphan was deleted at its last close");
            }
        }
    }

    /** Dirty pages (writeback=fsync, or a closed writable mapping) hold an inode until fsync or syncfs. */
    @Test
    void dirtyInodesStayInDramUntilTheyAreFlushed() {
        try (DaxDevice device = MemoryDevice.allocate(8L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            MountOptions options = MountOptions.defaults().withIndexCacheBytes(0)
                    .withWriteback(MountOptions.Writeback.FSYNC);
            try (DaxFileSystem fs = DaxFileSystem.mount(device, options)) {
                long f = fs.create(fs.rootIno(), "f", 0100644, 0, 0, 0).ino();
                long g = fs.create(fs.rootIno(), "g", 0100644, 0, 0, 0).ino();
                fs.write(f, 0, MemorySegment.ofArray(new byte[8192]));
                fs.write(f, 0, MemorySegment.ofArray(new byte[8192])); // in place: cached stores, dirty
                try (DaxMapping m = fs.map(g, 0, 4096, DaxMapping.Mode.READ_WRITE)) {
                    m.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 7);
                }
                System.gc();
                assertEquals(java.util.Set.of(f, g),
                        fs.volume().residentInodes().stream().map(Inode::ino).collect(java.util.stream.Collectors.toSet()),
                        "dirty inodes are held");
                assertEquals(3 * 4096, fs.stats().dirtyBytes(), "their dirty pages are still known");
                fs.fsync(f, false);
                assertEquals(List.of(g), fs.volume().residentInodes().stream().map(Inode::ino).toList());
                fs.syncfs();
                assertEquals(List.of(), fs.volume().residentInodes(), "syncfs lets go of what it flushed");
            }
        }
    }

    @Test
    void anInodeSomeoneHoldsIsTheOnlyCopyEvenWithNoBound() {
        try (DaxDevice device = MemoryDevice.allocate(8L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults());
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withIndexCacheBytes(0))) {
                long f = fs.create(fs.rootIno(), "f", 0100644, 0, 0, 0).ino();
                Inode held = fs.volume().inode(f);
                System.gc();
                fs.write(f, 0, MemorySegment.ofArray(new byte[100]));
                assertSame(held, fs.volume().inode(f), "a held inode is never loaded a second time");
                assertEquals(100, held.size(), "the write went to the held copy");
                long loads = fs.volume().inodeLoads();
                held = null;
                System.gc();
                assertEquals(100, fs.getattr(f).size());
                assertEquals(loads + 1, fs.volume().inodeLoads(), "dropped once nobody held it, then loaded again");
            }
        }
    }
}
