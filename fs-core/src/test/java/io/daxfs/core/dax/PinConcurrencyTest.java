package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.daxfs.core.FsException;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.log.InodeLog;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Many threads mapping, unmapping, truncating and allocating at once. Each mapper fills its file
 * with its own byte, maps it, truncates it (so the blocks are deferred) and then checks that the
 * mapping still shows only its byte while other threads allocate: a block owned twice would show
 * up as a foreign byte. At the end a recovery scan (which rejects any block referenced twice) must
 * pass and all space must be back.
 */
class PinConcurrencyTest {
    @Test
    void noBlockIsEverOwnedTwice() {
        DaxDevice device = formattedDevice(32 << 20);
        List<String> failures = new ArrayList<>();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (DaxFileSystem fs = mount(device)) {
                long freeAtStart = fs.statfs().freeBlocks() + rootLogPages(fs);
                int threads = 6;
                CountDownLatch done = new CountDownLatch(threads);
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    Thread thread = new Thread(() -> {
                        try {
                            if (id % 2 == 0) {
                                mapper(fs, id, errors);
                            } else {
                                allocator(fs, id);
                            }
                        } catch (Throwable e) {
                            errors.add("thread " + id + ": " + e);
                        } finally {
                            done.countDown();
                        }
                    });
                    thread.start();
                }
                done.await();
                failures.addAll(errors);
                assertEquals(List.of(), failures);
                assertEquals(0, fs.stats().pinnedBytes());
                assertEquals(0, fs.stats().deferredBytes());
                for (var e : fs.readdir(fs.rootIno(), 0, Integer.MAX_VALUE)) {
                    fs.unlink(fs.rootIno(), e.name());
                }
                assertEquals(freeAtStart, fs.statfs().freeBlocks() + rootLogPages(fs),
                        "all space is back but the root directory's longer log");
            }
        });
        try (DaxFileSystem again = mount(MemoryDevice.fromImage(MemoryDevice.snapshot(device)))) {
            assertEquals(0, again.readdir(again.rootIno(), 0, 10).size());
        }
    }

    private static long rootLogPages(DaxFileSystem fs) {
        InodeLog log = fs.volume().inode(fs.rootIno()).log();
        return log.ownedBlocks() + (log.startsInSlot() ? 1 : 0); // alone in its packed page at start and end
    }

    private static void mapper(DaxFileSystem fs, int id, ConcurrentLinkedQueue<String> errors) {
        Random random = new Random(id);
        for (int round = 0; round < 40; round++) {
            long f = createFile(fs, fs.rootIno(), "m" + id + "-" + round);
            int pages = 1 + random.nextInt(32);
            byte mark = (byte) (id * 40 + round + 1);
            byte[] content = new byte[pages * 4096];
            Arrays.fill(content, mark);
            fs.write(f, 0, MemorySegment.ofArray(content));
            try (DaxMapping m = fs.map(f, 0, content.length, DaxMapping.Mode.READ)) {
                fs.truncate(f, 0);
                for (int check = 0; check < 20; check++) {
                    for (int i = 0; i < content.length; i += 512) {
                        byte b = m.segment().get(Layouts.BYTE, i);
                        if (b != mark) {
                            errors.add("mapping of " + f + " shows byte " + b + " instead of " + mark);
                            return;
                        }
                    }
                    Thread.yield();
                }
            }
            fs.unlink(fs.rootIno(), "m" + id + "-" + round);
        }
    }

    private static void allocator(DaxFileSystem fs, int id) {
        Random random = new Random(id);
        byte[] junk = new byte[64 * 1024];
        Arrays.fill(junk, (byte) -1);
        for (int round = 0; round < 200; round++) {
            String name = "a" + id + "-" + (round % 8);
            try {
                long f = fs.lookup(fs.rootIno(), name);
                fs.truncate(f, random.nextInt(3) * 4096L);
                fs.write(f, random.nextInt(16) * 4096L, MemorySegment.ofArray(junk));
            } catch (FsException e) {
                long f = createFile(fs, fs.rootIno(), name);
                fs.write(f, 0, MemorySegment.ofArray(junk));
            }
        }
    }
}
