package io.daxfs.core;

import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** Test helpers: a formatted memory device, and byte-array shorthands over the segment API. */
public final class FsFixture {
    private FsFixture() {}

    public static DaxDevice formattedDevice(long bytes) {
        DaxDevice device = MemoryDevice.allocate(bytes);
        DaxFileSystem.format(device, FormatOptions.defaults());
        return device;
    }

    public static DaxFileSystem mount(DaxDevice device) {
        return DaxFileSystem.mount(device, MountOptions.defaults());
    }

    public static long write(DaxFileSystem fs, long ino, long offset, byte[] bytes) {
        return fs.write(ino, offset, MemorySegment.ofArray(bytes));
    }

    public static byte[] read(DaxFileSystem fs, long ino, long offset, int length) {
        byte[] buf = new byte[length];
        long n = fs.read(ino, offset, MemorySegment.ofArray(buf));
        return java.util.Arrays.copyOf(buf, (int) n);
    }

    public static byte[] readAll(DaxFileSystem fs, long ino) {
        return read(fs, ino, 0, (int) fs.getattr(ino).size());
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static long createFile(DaxFileSystem fs, long dir, String name) {
        return fs.create(dir, name, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
    }
}
