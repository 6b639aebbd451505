package io.daxfs.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.core.FsFixture;
import io.daxfs.core.MountOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.ForwardingDevice;
import io.daxfs.core.fs.DaxFileSystem;
import org.junit.jupiter.api.Test;

/**
 * The fences each kind of commit makes: a fence waits for memory, and at two threads every one
 * of them costs more, so the commit protocol's count is held here (the crash-state tests hold that
 * they are enough). A change to one inode: one fence before its tail store, one after. A change to
 * several: one fence for every staged log, a new inode's record and the journal lane going active;
 * one after the commit stores; one after the lane goes idle.
 */
class FencesPerCommitTest {

    /** Counts the fences made through it. */
    private static final class FenceCountingDevice extends ForwardingDevice {
        private long fences;

        FenceCountingDevice(DaxDevice device) {
            super(device);
        }

        @Override
        public synchronized void fence() {
            fences++;
            delegate.fence();
        }

        synchronized long fences() {
            return fences;
        }
    }

    @Test
    void createAndUnlinkMakeThreeFencesAWriteTwo() {
        FenceCountingDevice device = new FenceCountingDevice(FsFixture.formattedDevice(4 << 20));
        try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
            FsFixture.createFile(fs, fs.rootIno(), "warm"); // the first create may take a packed page
            long before = device.fences();
            long f = FsFixture.createFile(fs, fs.rootIno(), "f");
            assertEquals(3, device.fences() - before, "fences of a create");

            before = device.fences();
            FsFixture.write(fs, f, 0, new byte[4096]);
            assertEquals(2, device.fences() - before, "fences of a 4 KiB write");

            before = device.fences();
            fs.unlink(fs.rootIno(), "f");
            assertEquals(3, device.fences() - before, "fences of an unlink");
        }
    }
}
