package io.daxfs.mkfs;

import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Recognises what a device already holds, from the signatures blkid(8) looks at: daxfs (either
 * superblock copy), ext2/3/4, xfs, btrfs, swap, LUKS, f2fs, iso9660, squashfs, vfat and partition
 * tables. mkfs refuses to overwrite any of them without {@code -f}.
 */
final class Signatures {
    /** Bytes read from the start of the device: up to the btrfs superblock and a little more. */
    static final int PROBE_BYTES = 68 * 1024;

    private Signatures() {}

    /**
     * Describes what {@code head} (the first bytes of the device, zero-padded to {@link #PROBE_BYTES})
     * and {@code lastBlock} (the device's last 4 KiB block, or null) show, e.g. {@code an ext4
     * filesystem (label "data")}; null when nothing is recognised.
     */
    static String identify(byte[] head, byte[] lastBlock) {
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) == Superblock.MAGIC) {
            return "a daxfs filesystem" + daxfsDetails(b, 0);
        }
        if (lastBlock != null && ByteBuffer.wrap(lastBlock).order(ByteOrder.LITTLE_ENDIAN).getLong(0) == Superblock.MAGIC) {
            return "a daxfs filesystem (backup superblock only" + daxfsDetails(
                    ByteBuffer.wrap(lastBlock).order(ByteOrder.LITTLE_ENDIAN), 0).replaceFirst("^ \\(", ", ");
        }
        if ((b.getShort(1024 + 56) & 0xFFFF) == 0xEF53) {
            return "an " + extKind(b) + " filesystem" + label(head, 1024 + 120, 16);
        }
        if (ascii(head, 0, 4).equals("XFSB")) {
            return "an xfs filesystem" + label(head, 108, 12);
        }
        if (ascii(head, 65536 + 64, 8).equals("_BHRfS_M")) {
            return "a btrfs filesystem" + label(head, 65536 + 299, 256);
        }
        for (int page = 4096; page <= 65536; page <<= 1) {
            String magic = ascii(head, page - 10, 10);
            if (magic.equals("SWAPSPACE2") || magic.equals("SWAP-SPACE")) {
                return "swap space" + (magic.equals("SWAPSPACE2") ? label(head, 1024 + 28, 16) : "");
            }
        }
        if (ascii(head, 0, 4).equals("LUKS") && (head[4] & 0xFF) == 0xBA && (head[5] & 0xFF) == 0xBE) {
            return "a LUKS encrypted volume";
        }
        if (b.getInt(1024) == 0xF2F52010) {
            return "an f2fs filesystem";
        }
        if (ascii(head, 32769, 5).equals("CD001")) {
            return "an iso9660 filesystem";
        }
        if (ascii(head, 0, 4).equals("hsqs")) {
            return "a squashfs filesystem";
        }
        if (ascii(head, 512, 8).equals("EFI PART")) {
            return "a GPT partition table";
        }
        boolean bootSignature = (head[510] & 0xFF) == 0x55 && (head[511] & 0xFF) == 0xAA;
        if (bootSignature && (ascii(head, 54, 5).startsWith("FAT1") || ascii(head, 82, 5).equals("FAT32"))) {
            return "a vfat filesystem";
        }
        if (bootSignature) {
            return "a DOS/MBR partition table (boot signature)";
        }
        return null;
    }

    private static String daxfsDetails(ByteBuffer b, int base) {
        UUID uuid = new UUID(b.getLong(base + 40), b.getLong(base + 48));
        byte[] raw = new byte[Superblock.MAX_LABEL_BYTES];
        b.get(base + 56, raw);
        String label = cString(raw, 0, raw.length);
        return " (" + (label.isEmpty() ? "" : "label \"" + label + "\", ") + "UUID " + uuid + ")";
    }

    /** ext4 if any feature ext3 lacks is set, ext3 if it has a journal, else ext2. */
    private static String extKind(ByteBuffer b) {
        int compat = b.getInt(1024 + 92);
        int incompat = b.getInt(1024 + 96);
        int roCompat = b.getInt(1024 + 100);
        if ((incompat & 0x8) != 0) {
            return "ext3/4 external journal";
        }
        // extents, 64bit, mmp, flex_bg, ea_inode, dirdata, csum_seed, largedir, inline_data, encrypt, casefold
        if ((incompat & 0x1FFC0) != 0 || (roCompat & ~0x7) != 0) {
            return "ext4";
        }
        return (compat & 0x4) != 0 ? "ext3" : "ext2";
    }

    private static String label(byte[] head, int offset, int length) {
        String label = cString(head, offset, length);
        return label.isBlank() ? "" : " (label \"" + label + "\")";
    }

    private static String cString(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8).strip();
    }

    private static String ascii(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    /** Offset of the last whole 4 KiB block of a device of {@code size} bytes: where a daxfs backup superblock sits. */
    static long lastBlockOffset(long size) {
        return Layout.offsetOf(size / Layout.BLOCK_SIZE - 1);
    }
}
