package io.daxfs.core.log;

import io.daxfs.core.Name;
import io.daxfs.core.Timestamp;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.Layout;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.DentryDel;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogEntry.XattrDel;
import io.daxfs.core.log.LogEntry.XattrRef;
import io.daxfs.core.log.LogEntry.XattrSet;
import java.lang.foreign.MemorySegment;

/**
 * Encodes and decodes {@link LogEntry} records. Every entry starts with an 8-byte header
 * ({@code u16 type, u16 length, u32 crc32c}); lengths are multiples of 8 and an entry never
 * crosses a log page. A {@code PAD} entry fills the rest of a page that the next entry does not fit.
 */
public final class EntryCodec {
    public static final int HEADER = 8;
    static final int TYPE_PAD = 1;
    static final int TYPE_INODE = 2;
    static final int TYPE_WRITE = 3;
    static final int TYPE_DENTRY_ADD = 4;
    static final int TYPE_DENTRY_DEL = 5;
    static final int TYPE_XATTR_SET = 6;
    static final int TYPE_XATTR_DEL = 7;
    static final int TYPE_XATTR_REF = 8;
    /** The largest value an XATTR_REF holds (XATTR_SIZE_MAX), in at most 16 blocks. */
    public static final int MAX_XATTR_REF_LENGTH = 65536;
    private static final int CRC_OFFSET = 4;
    /** u32 × 6, u64 rdev and size, i64 seconds × 4, u32 nanoseconds × 4, u64 parent and cookie. */
    private static final int INODE_BODY = 104;
    private static final int INODE_SECONDS = 40;
    private static final int INODE_NANOS = 72;
    /** Copied over an entry's bytes before it is encoded: a slice to fill() was garbage of every entry. */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[Layout.BLOCK_SIZE]);

    private EntryCodec() {}

    /** Bytes {@code entry} takes in a log page, header included. */
    public static int encodedLength(LogEntry entry) {
        int body = switch (entry) {
            case InodeEntry e -> INODE_BODY;
            case WriteEntry e -> 40;
            case DentryAdd e -> 26 + e.name().length();
            case DentryDel e -> 17 + e.name().length();
            case XattrSet e -> 12 + e.name().length() + e.value().length;
            case XattrDel e -> 9 + e.name().length();
            case XattrRef e -> 16 + 8 * e.blocks().length + e.name().length();
        };
        return align8(HEADER + body);
    }

    /** Writes {@code entry} at {@code offset} of {@code buf}; returns its length. */
    public static int encode(LogEntry entry, MemorySegment buf, long offset) {
        int length = encodedLength(entry);
        MemorySegment.copy(ZEROS, 0, buf, offset, length);
        long p = offset + HEADER;
        int type = switch (entry) {
            case InodeEntry e -> {
                buf.set(Layouts.INT, p, e.mode());
                buf.set(Layouts.INT, p + 4, e.uid());
                buf.set(Layouts.INT, p + 8, e.gid());
                buf.set(Layouts.INT, p + 12, e.flags());
                buf.set(Layouts.INT, p + 16, e.nlink());
                buf.set(Layouts.LONG, p + 24, e.rdev());
                buf.set(Layouts.LONG, p + 32, e.size());
                putTime(buf, p, 0, e.atime());
                putTime(buf, p, 1, e.mtime());
                putTime(buf, p, 2, e.ctime());
                putTime(buf, p, 3, e.btime());
                buf.set(Layouts.LONG, p + 88, e.parent());
                buf.set(Layouts.LONG, p + 96, e.nextCookie());
                yield TYPE_INODE;
            }
            case WriteEntry e -> {
                buf.set(Layouts.LONG, p, e.pgoff());
                buf.set(Layouts.LONG, p + 8, e.block());
                buf.set(Layouts.LONG, p + 16, e.count());
                buf.set(Layouts.LONG, p + 24, e.size());
                buf.set(Layouts.LONG, p + 32, e.timeNs());
                yield TYPE_WRITE;
            }
            case DentryAdd e -> {
                buf.set(Layouts.LONG, p, e.ino());
                buf.set(Layouts.LONG, p + 8, e.cookie());
                buf.set(Layouts.LONG, p + 16, e.timeNs());
                buf.set(Layouts.BYTE, p + 24, (byte) (e.kindBits() >>> 12));
                putName(buf, p + 26, e.name(), p + 25);
                yield TYPE_DENTRY_ADD;
            }
            case DentryDel e -> {
                buf.set(Layouts.LONG, p, e.cookie());
                buf.set(Layouts.LONG, p + 8, e.timeNs());
                putName(buf, p + 17, e.name(), p + 16);
                yield TYPE_DENTRY_DEL;
            }
            case XattrSet e -> {
                buf.set(Layouts.LONG, p, e.timeNs());
                buf.set(Layouts.SHORT, p + 10, (short) e.value().length);
                putName(buf, p + 12, e.name(), p + 8);
                MemorySegment.copy(e.value(), 0, buf, Layouts.BYTE, p + 12 + e.name().length(), e.value().length);
                yield TYPE_XATTR_SET;
            }
            case XattrDel e -> {
                buf.set(Layouts.LONG, p, e.timeNs());
                putName(buf, p + 9, e.name(), p + 8);
                yield TYPE_XATTR_DEL;
            }
            case XattrRef e -> {
                buf.set(Layouts.LONG, p, e.timeNs());
                buf.set(Layouts.INT, p + 8, e.length());
                buf.set(Layouts.BYTE, p + 13, (byte) e.blocks().length);
                for (int i = 0; i < e.blocks().length; i++) {
                    buf.set(Layouts.LONG, p + 16 + 8L * i, e.blocks()[i]);
                }
                putName(buf, p + 16 + 8L * e.blocks().length, e.name(), p + 12);
                yield TYPE_XATTR_REF;
            }
        };
        writeHeader(buf, offset, type, length);
        return length;
    }

    /** Writes a PAD entry covering {@code length} bytes at {@code offset}. */
    public static void encodePad(MemorySegment buf, long offset, int length) {
        MemorySegment.copy(ZEROS, 0, buf, offset, length);
        writeHeader(buf, offset, TYPE_PAD, length);
    }

    private static void writeHeader(MemorySegment buf, long offset, int type, int length) {
        buf.set(Layouts.SHORT, offset, (short) type);
        buf.set(Layouts.SHORT, offset + 2, (short) length);
        buf.set(Layouts.INT, offset + CRC_OFFSET, 0);
        buf.set(Layouts.INT, offset + CRC_OFFSET, Checksums.crc32c(buf, offset, length));
    }

    /**
     * Decodes the entry at {@code offset} of {@code page}, which has {@code limit} bytes from
     * {@code offset} to the end of the page. Returns {@code null} for a PAD entry.
     *
     * @throws LogCorruptException if the header, length or checksum is invalid
     */
    public static LogEntry decode(MemorySegment page, long offset, long limit) {
        if (limit < HEADER) {
            throw new LogCorruptException("entry header at page offset " + offset + " crosses the page end");
        }
        int type = Short.toUnsignedInt(page.get(Layouts.SHORT, offset));
        int length = Short.toUnsignedInt(page.get(Layouts.SHORT, offset + 2));
        if (length < HEADER || length % 8 != 0 || length > limit) {
            throw new LogCorruptException("entry at page offset " + offset + " has invalid length " + length);
        }
        int stored = page.get(Layouts.INT, offset + CRC_OFFSET);
        if (stored != Checksums.crc32cSkipping(page, offset, length, offset + CRC_OFFSET)) {
            throw new LogCorruptException("entry at page offset " + offset + " fails its checksum");
        }
        long p = offset + HEADER;
        try {
            return switch (type) {
                case TYPE_PAD -> null;
                case TYPE_INODE -> new InodeEntry(page.get(Layouts.INT, p), page.get(Layouts.INT, p + 4),
                        page.get(Layouts.INT, p + 8), page.get(Layouts.INT, p + 12), page.get(Layouts.INT, p + 16),
                        page.get(Layouts.LONG, p + 24), page.get(Layouts.LONG, p + 32), getTime(page, p, 0),
                        getTime(page, p, 1), getTime(page, p, 2), getTime(page, p, 3),
                        page.get(Layouts.LONG, p + 88), page.get(Layouts.LONG, p + 96));
                case TYPE_WRITE -> new WriteEntry(page.get(Layouts.LONG, p), page.get(Layouts.LONG, p + 8),
                        page.get(Layouts.LONG, p + 16), page.get(Layouts.LONG, p + 24), page.get(Layouts.LONG, p + 32));
                case TYPE_DENTRY_ADD -> new DentryAdd(getName(page, p + 26, p + 25, offset + length),
                        page.get(Layouts.LONG, p), (page.get(Layouts.BYTE, p + 24) & 0xf) << 12,
                        page.get(Layouts.LONG, p + 8), page.get(Layouts.LONG, p + 16));
                case TYPE_DENTRY_DEL -> new DentryDel(getName(page, p + 17, p + 16, offset + length),
                        page.get(Layouts.LONG, p), page.get(Layouts.LONG, p + 8));
                case TYPE_XATTR_SET -> {
                    Name name = getName(page, p + 12, p + 8, offset + length);
                    int nameLength = Byte.toUnsignedInt(page.get(Layouts.BYTE, p + 8));
                    int valueLength = Short.toUnsignedInt(page.get(Layouts.SHORT, p + 10));
                    long valueAt = p + 12 + nameLength;
                    if (valueAt + valueLength > offset + length) {
                        throw new LogCorruptException("xattr value at page offset " + offset + " overruns its entry");
                    }
                    yield new XattrSet(name, page.asSlice(valueAt, valueLength).toArray(Layouts.BYTE),
                            page.get(Layouts.LONG, p));
                }
                case TYPE_XATTR_DEL -> new XattrDel(getName(page, p + 9, p + 8, offset + length),
                        page.get(Layouts.LONG, p));
                case TYPE_XATTR_REF -> decodeXattrRef(page, offset, p, offset + length);
                default -> throw new LogCorruptException("unknown entry type " + type + " at page offset " + offset);
            };
        } catch (IndexOutOfBoundsException e) {
            throw new LogCorruptException("entry at page offset " + offset + " overruns its length");
        }
    }

    private static XattrRef decodeXattrRef(MemorySegment page, long offset, long p, long entryEnd) {
        int valueLength = page.get(Layouts.INT, p + 8);
        int count = Byte.toUnsignedInt(page.get(Layouts.BYTE, p + 13));
        if (valueLength < 1 || valueLength > MAX_XATTR_REF_LENGTH || count != blocksFor(valueLength)) {
            throw new LogCorruptException("xattr value at page offset " + offset + " of " + valueLength + " bytes in "
                    + count + " blocks");
        }
        long[] blocks = new long[count];
        for (int i = 0; i < count; i++) {
            blocks[i] = page.get(Layouts.LONG, p + 16 + 8L * i);
        }
        return new XattrRef(getName(page, p + 16 + 8L * count, p + 12, entryEnd), valueLength, blocks,
                page.get(Layouts.LONG, p));
    }

    /** Blocks an XATTR_REF of {@code valueLength} bytes has. */
    public static int blocksFor(int valueLength) {
        return (valueLength + Layout.BLOCK_SIZE - 1) / Layout.BLOCK_SIZE;
    }

    /** The type of the entry at {@code offset} of {@code page}, unchecked (one of the {@code TYPE_} constants if sound). */
    static int typeAt(MemorySegment page, long offset) {
        return Short.toUnsignedInt(page.get(Layouts.SHORT, offset));
    }

    /** Length of the entry at {@code offset} as its header says (after {@link #decode} accepted it). */
    public static int lengthAt(MemorySegment page, long offset) {
        return Short.toUnsignedInt(page.get(Layouts.SHORT, offset + 2));
    }

    /** Time {@code index} of an INODE body: its seconds in one array, its nanoseconds in the next. */
    private static void putTime(MemorySegment buf, long body, int index, Timestamp t) {
        buf.set(Layouts.LONG, body + INODE_SECONDS + 8L * index, t.seconds());
        buf.set(Layouts.INT, body + INODE_NANOS + 4L * index, t.nanos());
    }

    private static Timestamp getTime(MemorySegment page, long body, int index) {
        long seconds = page.get(Layouts.LONG, body + INODE_SECONDS + 8L * index);
        int nanos = page.get(Layouts.INT, body + INODE_NANOS + 4L * index);
        if (!Timestamp.valid(seconds, nanos)) {
            throw new LogCorruptException("inode time " + seconds + " s " + nanos + " ns is outside the format's range");
        }
        return new Timestamp(seconds, nanos);
    }

    /** Names are stored as they are, never re-encoded: any bytes, at most 255 of them. */
    private static void putName(MemorySegment buf, long at, Name name, long lengthAt) {
        if (name.length() > 255) {
            throw new IllegalArgumentException("name of " + name.length() + " bytes does not fit its length byte");
        }
        buf.set(Layouts.BYTE, lengthAt, (byte) name.length());
        name.copyTo(buf, at);
    }

    private static Name getName(MemorySegment page, long at, long lengthAt, long entryEnd) {
        int length = Byte.toUnsignedInt(page.get(Layouts.BYTE, lengthAt));
        if (at + length > entryEnd) {
            throw new LogCorruptException("name overruns its entry");
        }
        return Name.of(page, at, length);
    }

    static int align8(int n) {
        return (n + 7) & ~7;
    }
}
