package io.daxfs.core.dax;

import static io.daxfs.core.FsFixture.createFile;
import static io.daxfs.core.FsFixture.formattedDevice;
import static io.daxfs.core.FsFixture.mount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.Errno;
import io.daxfs.core.FormatOptions;
import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.check.Checker;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.device.ForwardingDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.device.PersistenceMode;
import io.daxfs.core.fs.DaxFileSystem;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 point 4: a mapping never outlives its filesystem or device (access throws, the JVM
 * never crashes), close() waits for operations in flight and none runs after it, and closing one
 * mapping from two threads is one unmap and no error.
 */
class MappingLifetimeTest {
    private static final int MIB = 1 << 20;
    private static final int PAGE = 4096;

    @Test
    void aMappingUsedAfterItsDeviceIsUnmappedThrowsInsteadOfCrashing() throws IOException {
        Path file = Path.of("/dev/shm", "daxfs-lifetime-" + UUID.randomUUID() + ".img");
        try {
            DaxDevice device = DaxDevice.open(file, DeviceOptions.defaults().withCreateSize(8 * MIB)
                    .withMode(PersistenceMode.CPU));
            DaxFileSystem.format(device, FormatOptions.defaults());
            DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
            long f = createFile(fs, fs.rootIno(), "f");
            DaxMapping mapping = fs.map(f, 0, 4 * PAGE, DaxMapping.Mode.READ_WRITE);
            mapping.segment().fill((byte) 1);
            device.close();
            assertThrows(IllegalStateException.class, () -> mapping.segment().fill((byte) 2));
            assertThrows(IllegalStateException.class, () -> mapping.segment().get(ValueLayout.JAVA_BYTE, 0));
            assertFalse(mapping.isOpen());
            mapping.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aMappingUsedAfterItsFilesystemIsClosedThrows() {
        DaxFileSystem fs = mount(formattedDevice(8 * MIB));
        long f = createFile(fs, fs.rootIno(), "f");
        DaxMapping mapping = fs.map(f, 0, PAGE, DaxMapping.Mode.READ_WRITE);
        fs.close();
        assertThrows(IllegalStateException.class, () -> mapping.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        assertEquals(Errno.EIO, assertThrows(FsException.class,
                () -> fs.map(f, 0, PAGE, DaxMapping.Mode.READ)).errno());
        mapping.close();
    }

    @Test
    void twoThreadsClosingOneMappingUnmapOnce() throws Exception {
        try (DaxFileSystem fs = mount(formattedDevice(8 * MIB))) {
            long f = createFile(fs, fs.rootIno(), "f");
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 200; i++) {
                DaxMapping mapping = fs.map(f, 0, 2 * PAGE, DaxMapping.Mode.READ_WRITE);
                CyclicBarrier start = new CyclicBarrier(2);
                Runnable closer = () -> {
                    try {
                        start.await();
                        mapping.close();
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                Thread a = Thread.ofPlatform().start(closer);
                Thread b = Thread.ofPlatform().start(closer);
                a.join();
                b.join();
                assertEquals(List.of(), errors);
                assertEquals(0, fs.stats().pinnedBytes(), "the pin dropped exactly once");
            }
        }
    }

    /** Parks the chosen thread inside its next copyIn until released. */
    private static final class BlockingDevice extends ForwardingDevice {
        volatile Thread victim;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        BlockingDevice(DaxDevice inner) {
            super(inner);
        }

        @Override
        public void copyIn(MemorySegment src, long srcOffset, long length, long deviceOffset) {
            if (Thread.currentThread() == victim) {
                victim = null;
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            super.copyIn(src, srcOffset, length, deviceOffset);
        }
    }

    @Test
    void closeWaitsForOperationsInFlightAndNothingRunsAfterIt() throws Exception {
        DaxDevice memory = MemoryDevice.allocate(8 * MIB);
        DaxFileSystem.format(memory, FormatOptions.defaults());
        BlockingDevice device = new BlockingDevice(memory);
        DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults());
        long f = createFile(fs, fs.rootIno(), "f");
        List<Throwable> writerErrors = new CopyOnWriteArrayList<>();
        Thread writer = Thread.ofPlatform().unstarted(() -> {
            try {
                fs.write(f, 0, MemorySegment.ofArray(new byte[3 * PAGE]));
            } catch (Throwable t) {
                writerErrors.add(t);
            }
        });
        device.victim = writer;
        writer.start();
        assertTrue(device.entered.await(30, TimeUnit.SECONDS));

        Thread closer = Thread.ofPlatform().start(fs::close);
        closer.join(300);
        assertTrue(closer.isAlive(), "close() must wait for the write in flight");
        List<Object> mapResults = new CopyOnWriteArrayList<>();
        Thread mapper = Thread.ofPlatform().start(() -> {
            try {
                mapResults.add(fs.map(f, 0, PAGE, DaxMapping.Mode.READ_WRITE));
            } catch (Throwable t) {
                mapResults.add(t);
            }
        });
        device.release.countDown();
        writer.join();
        closer.join();
        mapper.join();
        assertEquals(List.of(), writerErrors, "the write in flight completes");
        for (Object result : mapResults) {
            if (result instanceof DaxMapping m) {
                assertFalse(m.isOpen(), "a mapping made before close() returned is closed by it");
            } else {
                assertEquals(Errno.EIO, ((FsException) result).errno());
            }
        }

        byte[] closedImage = MemoryDevice.snapshot(memory);
        assertEquals(Errno.EIO, assertThrows(FsException.class,
                () -> fs.write(f, 0, MemorySegment.ofArray(new byte[1]))).errno());
        assertEquals(Errno.EIO, assertThrows(FsException.class,
                () -> fs.map(f, 0, PAGE, DaxMapping.Mode.READ_WRITE)).errno());
        assertEquals(Errno.EIO, assertThrows(FsException.class, fs::syncfs).errno());
        assertArrayEquals(closedImage, MemoryDevice.snapshot(memory), "the device does not change after close()");
        assertTrue(Checker.check(memory).errors().isEmpty(), Checker.check(memory).toString());
        try (DaxFileSystem again = DaxFileSystem.mount(memory, MountOptions.defaults())) {
            assertEquals(3 * PAGE, again.getattr(again.lookup(again.rootIno(), "f")).size());
        }
    }
}
