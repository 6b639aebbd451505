package io.daxfs.core.rebuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FormatOptions;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The parallel inode scan visits every inode in use exactly once on several threads, stops taking
 * work when told to, and reports the failure of the lowest inode; a crash mount of thousands of inodes (scanned on several
 * threads) rebuilds the same files and free space as the live filesystem had.
 */
class ParallelInodeScanTest {
    /** One thread's visits. */
    private static final class Recorder implements ParallelInodeScan.Visitor {
        final List<Long> seen = new ArrayList<>();
        final long failAt;
        final long failAlso;

        Recorder(long failAt, long failAlso) {
            this.failAt = failAt;
            this.failAlso = failAlso;
        }

        @Override
        public void visit(long ino) {
            if (ino == failAt || ino == failAlso) {
                throw new IllegalStateException("inode " + ino);
            }
            seen.add(ino);
        }
    }

    @Test
    void visitsEveryInodeOnceOnSeveralThreads() {
        BitSet used = new BitSet();
        Random random = new Random(4);
        for (int i = 0; i < 20_000; i++) {
            used.set(1 + random.nextInt(60_000));
        }
        List<Recorder> recorders = ParallelInodeScan.run(used, 60_001, 3, () -> new Recorder(-1, -1), () -> false);
        assertEquals(3, recorders.size());
        BitSet seen = new BitSet();
        long visits = 0;
        for (Recorder r : recorders) {
            for (long ino : r.seen) {
                seen.set((int) ino);
                visits++;
            }
        }
        assertEquals(used, seen);
        assertEquals(used.cardinality(), visits, "an inode was visited twice");
    }

    @Test
    void stopsVisitingOnceToldTo() {
        BitSet used = new BitSet();
        used.set(1, 50_000);
        AtomicLong visits = new AtomicLong();
        ParallelInodeScan.run(used, 50_000, 2, () -> ino -> visits.incrementAndGet(), () -> visits.get() >= 3_000);
        // each thread finishes the inode it is visiting when the stop comes, and visits no other
        assertTrue(visits.get() >= 3_000 && visits.get() <= 3_000 + 2,
                "visited " + visits.get() + " of 49999 inodes after the stop");
    }

    @Test
    void reportsTheLowestFailure() {
        BitSet used = new BitSet();
        used.set(1, 50_000);
        for (int round = 0; round < 5; round++) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ParallelInodeScan.run(used, 50_000, 2, () -> new Recorder(30_000, 2_000), () -> false));
            assertEquals("inode 2000", e.getMessage());
        }
    }

    @Test
    void crashMountOfThousandsOfInodesMatchesTheLiveFilesystem() {
        try (DaxDevice device = MemoryDevice.allocate(96L << 20)) {
            DaxFileSystem.format(device, FormatOptions.defaults().withInodeCount(8192));
            DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
            List<Long> files = new ArrayList<>();
            for (int d = 0; d < 20; d++) {
                long dir = fs.mkdir(fs.rootIno(), "d" + d, 0755, 0, 0).ino();
                for (int i = 0; i < 250; i++) {
                    long ino = fs.create(dir, "f" + i, 0100644, 0, 0, 0).ino();
                    if (i % 10 == 0) {
                        fs.write(ino, 4096L * (i % 7), MemorySegment.ofArray(new byte[] {(byte) i, 1, 2, 3}));
                        files.add(ino);
                    }
                }
            }
            long free = fs.statfs().freeBlocks();
            byte[] image = MemoryDevice.snapshot(device);
            fs.close();
            try (DaxDevice crashed = MemoryDevice.fromImage(image);
                    DaxFileSystem recovered = DaxFileSystem.mount(crashed, MountOptions.defaults())) {
                assertEquals(free, recovered.statfs().freeBlocks());
                for (int d = 0; d < 20; d++) {
                    long dir = recovered.lookup(recovered.rootIno(), "d" + d);
                    assertEquals(250, recovered.readdir(dir, 0, 1000).size(), "entries of d" + d);
                }
                for (long ino : files) {
                    byte[] b = new byte[4];
                    long size = recovered.getattr(ino).size();
                    recovered.read(ino, size - 4, MemorySegment.ofArray(b));
                    assertEquals(1, b[1]);
                    assertEquals(3, b[3]);
                }
            }
        }
    }
}
