package io.daxfs.core.device;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A device opened with the lock keeps every other locking opener off until it closes. */
class LockedDeviceTest {
    @Test
    void secondLockedOpenIsRefusedUntilTheFirstCloses() throws IOException {
        Path image = Files.createTempFile(Path.of("/dev/shm"), "daxfs-lock", ".img");
        try {
            Files.delete(image);
            DeviceOptions locked = DeviceOptions.defaults().withCreateSize(1 << 20).withLock(true);
            try (DaxDevice first = DaxDevice.open(image, locked)) {
                assertThrows(DeviceBusyException.class, () -> DaxDevice.open(image, locked));
                assertThrows(DeviceBusyException.class, () -> DaxDevice.open(image, locked.withReadOnly(true)));
                first.fence();
            }
            try (DaxDevice again = DaxDevice.open(image, locked)) {
                again.fence();
            }
        } finally {
            Files.deleteIfExists(image);
        }
    }
}
