package io.daxfs.mkfs;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.format.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** What kind of thing a DEVICE path is, how big, and what its first bytes hold. */
final class Devices {
    enum Kind { ABSENT, REGULAR, BLOCK, CHAR, DIRECTORY, OTHER }

    private Devices() {}

    static Kind kind(Path path) {
        if (!Files.exists(path)) {
            return Kind.ABSENT;
        }
        if (Files.isDirectory(path)) {
            return Kind.DIRECTORY;
        }
        if (Files.isRegularFile(path)) {
            return Kind.REGULAR;
        }
        try {
            int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;
            return type == 0060000 ? Kind.BLOCK : type == 0020000 ? Kind.CHAR : Kind.OTHER;
        } catch (IOException | RuntimeException e) {
            return Kind.OTHER;
        }
    }

    /** Size in bytes of an existing file or device. */
    static long size(Path path, Kind kind) throws IOException {
        if (kind == Kind.REGULAR) {
            return Files.size(path);
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size(); // block devices: the JDK asks BLKGETSIZE64
            if (size > 0) {
                return size;
            }
        }
        try (DaxDevice device = DaxDevice.open(path, DeviceOptions.defaults().withReadOnly(true))) {
            return device.size(); // device-dax and other mappable character devices
        }
    }

    /**
     * The first {@link Signatures#PROBE_BYTES} of the device (zero-padded) and its last block
     * (null if the device is shorter than two blocks).
     */
    static byte[][] probe(Path path, long size) throws IOException {
        byte[] head = new byte[Signatures.PROBE_BYTES];
        byte[] last = size >= 2L * Layout.BLOCK_SIZE ? new byte[Layout.BLOCK_SIZE] : null;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            readFully(channel, head, 0);
            if (last != null) {
                readFully(channel, last, Signatures.lastBlockOffset(size));
            }
        } catch (IOException e) {
            // device-dax refuses read(2): look through a read-only mapping instead
            try (DaxDevice device = DaxDevice.open(path, DeviceOptions.defaults().withReadOnly(true))) {
                int n = (int) Math.min(head.length, device.size());
                device.directAccess(0, n).asByteBuffer().get(head, 0, n);
                if (last != null) {
                    device.directAccess(Signatures.lastBlockOffset(device.size()), last.length).asByteBuffer().get(last);
                }
            } catch (IOException | RuntimeException second) {
                throw e;
            }
        }
        return new byte[][] {head, last};
    }

    private static void readFully(FileChannel channel, byte[] into, long position) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(into);
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position + buf.position());
            if (n < 0) {
                break; // past the end: the rest stays zero
            }
        }
    }

    /** An I/O error as the short phrase an operator expects ("permission denied"), with the path. */
    static String describe(IOException e) {
        String reason = switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileSystemException x when x.getReason() != null -> x.getReason();
            default -> e.getMessage();
        };
        String file = e instanceof FileSystemException fse && fse.getFile() != null ? fse.getFile() + ": " : "";
        return file + (reason == null ? e.getClass().getSimpleName() : reason);
    }
}
