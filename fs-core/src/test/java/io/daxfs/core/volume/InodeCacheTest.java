package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.Timestamp;
import io.daxfs.core.dax.DaxMapping;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry.InodeEntry;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bound on DRAM inodes (issue 11 point 4, {@link InodeCache}): an inode whose state is not in
 * its log (open, orphan, dirty, mapped) is never dropped, and an inode someone holds is the only
 * copy; the bound in stripes holds over them all. The bound at scale (a million files walked
 * twice) is {@link MillionFileTreeTest}.
 */
class InodeCacheTest {
    /** What an inode made by {@link #plainFile} weighs: the base and one log segment. */
    private static final long PLAIN_FILE_BYTES = plainFile(1).memoryBytes();

    /**
     * 8 stripes of 64 KiB, 300 inodes of each of 8 chunks (about three stripes' shares each): every
     * stripe lets go of inodes of its own chunk, the stripes together hold no more than the bound,
     * what they hold is exactly the inodes still marked cached, and an inode let go of and
     * collected is loaded again.
     */
    @Test
    void aStripedBoundHoldsOverEveryStripeAndLetsGoWithinEach() {
        int stripes = 8;
        long bound = stripes * (64L << 10);
        int perChunk = 300;
        InodeCache cache = new InodeCache(bound, stripes, new InodeBits(stripes * (long) InodeTable.CHUNK));
        List<Inode> made = new ArrayList<>();
        for (int chunk = 0; chunk < stripes; chunk++) {
            for (int i = 1; i <= perChunk; i++) {
                Inode inode = plainFile((long) chunk * InodeTable.CHUNK + i);
                cache.put(inode);
                made.add(inode);
            }
        }
        long heldMost = bound / stripes / PLAIN_FILE_BYTES;
        for (int chunk = 0; chunk < stripes; chunk++) {
            long held = made.subList(chunk * perChunk, (chunk + 1) * perChunk).stream().filter(Inode::isCached).count();
            assertTrue(held > heldMost / 2 && held <= heldMost, "chunk " + chunk + "'s stripe holds " + held);
        }
        long cached = made.stream().filter(Inode::isCached).count();
        assertEquals(cached * PLAIN_FILE_BYTES, cache.weightedBytes(), "the stripes' weights together");
        assertTrue(cache.weightedBytes() <= bound, "the cache weighs " + cache.weightedBytes());
        assertEquals(made.size() - cached, cache.evictions());

        long dropped = made.stream().filter(inode -> !inode.isCached()).findFirst().orElseThrow().ino();
        Inode kept = made.stream().filter(Inode::isCached).findFirst().orElseThrow();
        made.clear();
        System.gc();
        assertNull(cache.get(dropped), "let go of, held by nobody, collected");
        Inode again = cache.load(dropped, ino -> plainFile(ino));
        assertEquals(1, cache.loads());
        assertTrue(again.isCached(), "a loaded inode is in its stripe again");
        assertSame(kept, cache.get(kept.ino()), "the bound held it");
        long before = cache.weightedBytes();
        cache.remove(kept);
        assertEquals(before - PLAIN_FILE_BYTES, cache.weightedBytes(), "a removed inode leaves its stripe");
        assertThrows(FsException.class, () -> cache.load(kept.ino(), ino -> plainFile(ino)), "a removed number is not loadable");
    }

    @Test
    void stripesArePowersOfTwoAndASmallBoundHasFewer() {
        assertThrows(IllegalArgumentException.class, () -> new InodeCache(1 << 20, 3, new InodeBits(16)));
        assertThrows(IllegalArgumentException.class, () -> new InodeCache(1 << 20, 0, new InodeBits(16)));
        assertEquals(1, InodeCache.stripesFor(0, 8));
        assertEquals(1, InodeCache.stripesFor(1 << 20, 8), "a 1 MiB bound is one cache");
        assertEquals(4, InodeCache.stripesFor(64L << 20, 8));
        assertEquals(8, InodeCache.stripesFor(1L << 30, 8));
    }

    /** A regular file of number {@code ino} with an empty log in one page: weighs the same as every other. */
    private static Inode plainFile(long ino) {
        Timestamp t = new Timestamp(0, 0);
        return new Inode(ino, 1, new InodeEntry(0100644, 0, 0, 0, 1, 0, 0, t, t, t, t, 1, 0), new InodeLog(1L << 12, 0));
    }

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
