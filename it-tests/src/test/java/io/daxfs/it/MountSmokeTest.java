package io.daxfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.daxfs.it.support.DaxfsMount;
import org.junit.jupiter.api.Test;

/** 000: format, mount, write, unmount, check, remount, read: the path every other case builds on. */
class MountSmokeTest {
    @Test
    void formatMountWriteUnmountCheckRemount() throws Exception {
        try (DaxfsMount fs = new DaxfsMount("256M")) {
            fs.mount();
            fs.sh("echo hello > a && mkdir d && cp a d/b && sync").ok();
            fs.unmount();
            fs.fsck("-f", "-n").ok();
            fs.mount();
            assertEquals("hello\nhello\n", fs.sh("cat a d/b").ok().stdout());
        }
    }
}
