package io.daxfs.core.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens a {@link DaxDevice} by path (the seeds' {@code dax_by_path}). */
final class DeviceOpener {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceOpener.class);

    private DeviceOpener() {}

    static DaxDevice open(Path path, DeviceOptions options) throws IOException {
        if (!Files.exists(path)) {
            if (options.createSize() == 0) {
                throw new NoSuchFileException(path.toString(), null, "no such device or file");
            }
            createFile(path, options.createSize());
        }
        return mapFile(path, options);
    }

    private static void createFile(Path path, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            channel.truncate(0);
            channel.position(size - 1);
            channel.write(java.nio.ByteBuffer.wrap(new byte[1]));
        }
    }

    private static DaxDevice mapFile(Path path, DeviceOptions options) throws IOException {
        Set<StandardOpenOption> openOptions = options.readOnly()
                ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        PersistenceMode mode = options.mode() == PersistenceMode.AUTO ? PersistenceMode.NONE : options.mode();
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, openOptions)) {
            long size = channel.size() & ~4095L;
            if (size == 0) {
                throw new IOException(path + ": device is empty");
            }
            MemorySegment segment = channel.map(
                    options.readOnly() ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE,
                    0, size, arena);
            PersistenceOps ops = new JavaPersistenceOps(mode, mode != PersistenceMode.NONE);
            DaxDevice device = new SegmentDevice(segment, arena, ops, "file " + path);
            LOG.info("opened {}", device.describe());
            return device;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
