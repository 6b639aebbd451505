package io.daxfs.mkfs;

import io.daxfs.core.FileKind;
import io.daxfs.core.JsonText;
import io.daxfs.core.MountOptions;
import io.daxfs.core.StatFs;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.inode.OrphanTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogReader;
import io.daxfs.core.log.LogSegment;
import io.daxfs.core.rebuild.InodeLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code daxfs-info}: prints what a daxfs image holds, for people debugging one (in the spirit
 * of dumpe2fs and xfs_info). Opens the device read-only and never writes to it.
 */
public final class InfoMain {
    static final int EXIT_OK = 0;
    static final int EXIT_ERROR = 1;
    static final int EXIT_NOT_DAXFS = 2;
    static final int EXIT_DAMAGED = 4;
    static final String NAME = "daxfs-info";
    /** The getopt letters daxfs-info accepts (its man page documents each). */
    static final String OPTIONS = "i:lJVh";

    static final String USAGE = """
            Usage: daxfs-info [-i INO] [-l] [-J] [-V] [-h] DEVICE

            Prints a daxfs image's superblocks (both copies), geometry, state, usage and
            features. Opens DEVICE read-only and never writes to it.

              -i INO   also print inode INO's record and every committed entry of its log,
                       one per line: device offset, type, fields
              -l       also list every inode in use: number, kind, mode, links, size, log segments
              -J       print the same as one JSON object (for scripts and monitoring)
              -V       print the version and exit
              -h       print this help and exit

            Exit status:
              0  printed; no damage seen
              1  usage error, or DEVICE cannot be opened
              2  DEVICE holds no usable daxfs superblock (neither copy)
              4  printed, but damage was seen (a superblock copy, the journal, an inode
                 record or log); run fsck.daxfs
              8  internal error, or the launcher found no JDK 25 or no build
            """;

    /** The human-readable report; a null stream under -J. */
    private PrintStream out;
    /** Everything the report shows, by section, printed as JSON under -J. */
    private final Map<String, Object> facts = new LinkedHashMap<>();
    private boolean damaged;

    private InfoMain(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        CommandRun.exit(run(args, System.out, System.err));
    }

    /** Runs daxfs-info with {@code args}; returns the exit status. Never throws. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return CommandRun.run(NAME, out, err, () -> new InfoMain(out).execute(args));
    }

    private int execute(String[] args) throws ToolException {
        Options o = CommandRun.parseOrAnswer(NAME, OPTIONS, USAGE, args, out);
        if (o == null) {
            return EXIT_OK;
        }
        if (o.operands().size() != 1) {
            throw usage(o.operands().isEmpty() ? "no DEVICE given" : "extra operand '" + o.operands().get(1) + "'");
        }
        long ino = -1;
        if (o.has('i')) {
            try {
                ino = Long.parseLong(o.get('i'));
            } catch (NumberFormatException e) {
                throw usage("invalid inode number '" + o.get('i') + "'");
            }
        }
        Path path;
        try {
            path = Path.of(o.operands().getFirst());
        } catch (InvalidPathException e) {
            throw usage("invalid DEVICE path: " + e.getMessage());
        }
        PrintStream json = null;
        if (o.has('J')) {
            json = out;
            out = new PrintStream(OutputStream.nullOutputStream());
        }
        try (DaxDevice device = DaxDevice.open(path, DeviceOptions.defaults().withReadOnly(true))) {
            Superblock sb = superblocks(path, device);
            Layout layout = sb.layout();
            if (ino >= 0 && (ino < 1 || ino >= layout.inodeCount())) {
                throw new ToolException(EXIT_ERROR, "inode " + ino + " is out of range (1.." + (layout.inodeCount() - 1)
                        + ")");
            }
            geometry(device, layout);
            InodeTable table = new InodeTable(device, layout);
            InodeLoader loader = new InodeLoader(table, new LogReader(device, layout));
            List<Row> rows = scan(table, loader, layout);
            usage(device, sb, layout, rows);
            if (o.has('l')) {
                listing(rows);
            }
            if (ino >= 0) {
                inode(device, layout, table, loader, ino);
            }
        } catch (IOException e) {
            throw new ToolException(EXIT_ERROR, "cannot open " + Devices.describe(e));
        }
        facts.put("damaged", damaged);
        if (json != null) {
            json.println(JsonText.of(facts));
        }
        return damaged ? EXIT_DAMAGED : EXIT_OK;
    }

    /** The facts of report section {@code name}, created on first use. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> section(String name) {
        return (Map<String, Object>) facts.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
    }

    private Superblock superblocks(Path path, DaxDevice device) throws ToolException {
        Superblock primary = null;
        Superblock backup = null;
        String primaryError = null;
        String backupError;
        try {
            primary = Superblock.decode(device, 0);
        } catch (CorruptImageException e) {
            primaryError = e.getMessage();
        }
        long backupBlock = (primary != null ? primary.totalBlocks() : device.size() / Layout.BLOCK_SIZE) - 1;
        try {
            backup = Superblock.decode(device, Layout.offsetOf(backupBlock));
            backupError = null;
        } catch (CorruptImageException e) {
            backupError = e.getMessage();
        }
        out.printf("Device:               %s (%s)%n", path, Sizes.human(device.size()));
        out.printf("Primary superblock:   block 0: %s%n", primary != null ? "valid" : "INVALID: " + primaryError);
        out.printf("Backup superblock:    block %d: %s%n", backupBlock, backup != null
                ? (primary != null && !primary.equals(backup) ? "valid, but differs from the primary" : "valid")
                : "INVALID: " + backupError);
        if (primary == null && backup == null) {
            throw new ToolException(EXIT_NOT_DAXFS, path + " holds no usable daxfs superblock");
        }
        if (primary == null || backup == null) {
            damaged = true;
        }
        Superblock sb = primary != null ? primary : backup;
        if (primary == null) {
            out.println("                      (showing the backup copy)");
        }
        Map<String, Object> f = section("superblock");
        f.put("device", path.toString());
        f.put("device_bytes", device.size());
        f.put("primary", primary != null ? "valid" : "invalid: " + primaryError);
        f.put("backup_block", backupBlock);
        f.put("backup", backup != null ? (primary != null && !primary.equals(backup) ? "differs" : "valid")
                : "invalid: " + backupError);
        f.put("uuid", sb.uuid().toString());
        f.put("label", sb.label());
        f.put("format_version", sb.formatVersion());
        f.put("features", sb.features());
        f.put("state", sb.state() == Superblock.State.CLEAN ? "clean" : "dirty");
        f.put("block_size", Layout.BLOCK_SIZE);
        f.put("block_count", sb.totalBlocks());
        f.put("inode_count", sb.inodeCount());
        f.put("mount_count", sb.mountCount());
        f.put("created", time(sb.createdNs()));
        f.put("last_mounted", sb.lastMountNs() == 0 ? null : time(sb.lastMountNs()));
        f.put("last_written", time(sb.lastWriteNs()));
        f.put("saved_free_list_extents", sb.freeList().present() ? sb.freeList().extents() : null);
        out.printf("Filesystem UUID:      %s%n", sb.uuid());
        out.printf("Label:                %s%n", sb.label().isEmpty() ? "(none)" : "\"" + sb.label() + "\"");
        out.printf("Format version:       %d%n", sb.formatVersion());
        out.printf("Features:             %s%n", sb.features() == 0 ? "none" : "0x" + Integer.toHexString(sb.features()));
        out.printf("State:                %s%n", sb.state() == Superblock.State.CLEAN ? "clean"
                : "dirty (mounted, or not cleanly unmounted)");
        out.printf("Block size:           %d%n", Layout.BLOCK_SIZE);
        out.printf("Block count:          %d (%s)%n", sb.totalBlocks(), Sizes.human(sb.totalBlocks() * Layout.BLOCK_SIZE));
        out.printf("Inode count:          %d (inode 0 reserved)%n", sb.inodeCount());
        out.printf("Mount count:          %d%n", sb.mountCount());
        out.printf("Created:              %s%n", time(sb.createdNs()));
        out.printf("Last mounted:         %s%n", sb.lastMountNs() == 0 ? "never" : time(sb.lastMountNs()));
        out.printf("Last written:         %s%n", time(sb.lastWriteNs()));
        Superblock.FreeList fl = sb.freeList();
        out.printf("Saved free list:      %s%n", fl.present()
                ? "block " + fl.block() + ", " + fl.extents() + " extent(s)" : "none (rebuilt by scanning at mount)");
        return sb;
    }

    private void geometry(DaxDevice device, Layout layout) {
        out.println();
        out.println("Geometry:");
        region("superblock", 0, 1, "");
        region("journal", Layout.JOURNAL_BLOCK, 1, journalState(device));
        region("orphan table", Layout.ORPHAN_START_BLOCK, Layout.ORPHAN_BLOCKS, orphanState(device));
        region("inode table", Layout.INODE_TABLE_START_BLOCK, layout.inodeTableBlocks(),
                layout.inodeCount() + " records of " + Layout.INODE_SIZE + " bytes");
        region("data area", layout.dataStartBlock(), layout.dataBlocks(), "log pages, packed log slots, file data");
        region("backup superblock", layout.backupSuperblockBlock(), 1, "");
    }

    private void region(String name, long start, long count, String note) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("first_block", start);
        f.put("blocks", count);
        f.put("note", note);
        section("geometry").put(name.replace(' ', '_'), f);
        String blocks = count == 1 ? "block " + start : "blocks " + start + "-" + (start + count - 1);
        out.printf("  %-18s %-26s %s%n", name, blocks + (count == 1 ? "" : " (" + count + ")"), note).flush();
    }

    /** "idle", or what each lane that is not idle holds. */
    private String journalState(DaxDevice device) {
        List<String> lanes = new ArrayList<>();
        for (int lane = 0; lane < Journal.LANES; lane++) {
            long state = device.getLong(Journal.laneOffset(lane));
            if (state == 0) {
                continue;
            }
            if (!Journal.isActive(state)) {
                damaged = true;
                lanes.add("lane " + lane + " DAMAGED: state word 0x" + Long.toHexString(state));
            } else if (Journal.torn(device, lane)) {
                lanes.add("lane " + lane + " torn: a crash came before its operation began; cleared at mount");
            } else {
                lanes.add("lane " + lane + " active: an interrupted operation, " + Journal.count(device, lane)
                        + " store(s) to roll back at mount");
            }
        }
        return lanes.isEmpty() ? "idle (" + Journal.LANES + " lanes)" : String.join("; ", lanes);
    }

    private static String orphanState(DaxDevice device) {
        List<Long> orphans = new ArrayList<>();
        OrphanTable table = new OrphanTable(device);
        for (int slot = 0; slot < Layout.ORPHAN_SLOTS; slot++) {
            long ino = table.inodeAt(slot);
            if (ino != 0) {
                orphans.add(ino);
            }
        }
        if (orphans.isEmpty()) {
            return "no orphans";
        }
        return orphans.size() + " orphan(s): inodes " + orphans.subList(0, Math.min(10, orphans.size()))
                + (orphans.size() > 10 ? "..." : "");
    }

    /** One in-use inode as replayed from its log, or why it could not be. */
    private record Row(long ino, Inode inode, String error) {}

    private List<Row> scan(InodeTable table, InodeLoader loader, Layout layout) {
        List<Row> rows = new ArrayList<>();
        for (long ino = 1; ino < layout.inodeCount(); ino++) {
            if (!table.isUsed(ino)) {
                continue;
            }
            try {
                rows.add(new Row(ino, loader.loadOrThrow(ino), null));
            } catch (LogCorruptException | CorruptImageException e) {
                damaged = true;
                rows.add(new Row(ino, null, e.getMessage()));
            } catch (RuntimeException e) {
                damaged = true;
                rows.add(new Row(ino, null, e.toString()));
            }
        }
        return rows;
    }

    private void usage(DaxDevice device, Superblock sb, Layout layout, List<Row> rows) {
        long files = 0;
        long dirs = 0;
        long other = 0;
        long bad = 0;
        long usedBlocks = 0;
        for (Row row : rows) {
            if (row.inode() == null) {
                bad++;
                continue;
            }
            Inode inode = row.inode();
            switch (inode.kind()) {
                case REGULAR -> files++;
                case DIRECTORY -> dirs++;
                default -> other++;
            }
            usedBlocks += inode.log().ownedBlocks() + (inode.extents() == null ? 0 : inode.extents().mappedPages());
        }
        out.println();
        String source;
        long used;
        if (sb.state() == Superblock.State.CLEAN) {
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults().withReadOnly(true))) {
                StatFs st = fs.statfs();
                used = st.totalBlocks() - st.freeBlocks();
                source = "read-only mount";
            } catch (RuntimeException e) {
                damaged = true;
                out.println("Read-only mount refused: " + e.getMessage());
                used = usedBlocks;
                source = "counted from the inode table";
            }
        } else {
            used = usedBlocks;
            source = "counted from the inode table; NEEDS RECOVERY: mount read-write once, or run fsck.daxfs";
        }
        Map<String, Object> f = section("usage");
        f.put("source", source);
        f.put("inodes_used", rows.size());
        f.put("inodes_total", layout.inodeCount() - 1);
        f.put("files", files);
        f.put("directories", dirs);
        f.put("other", other);
        f.put("damaged_inodes", bad);
        f.put("data_blocks_used", used);
        f.put("data_blocks_total", layout.dataBlocks());
        f.put("data_blocks_free", layout.dataBlocks() - used);
        out.printf("Usage (%s):%n", source);
        out.printf("  inodes in use:      %d of %d (files %d, directories %d, other %d%s)%n", rows.size(),
                layout.inodeCount() - 1, files, dirs, other, bad > 0 ? ", DAMAGED " + bad : "");
        out.printf("  data blocks used:   %d of %d (%s)%n", used, layout.dataBlocks(),
                Sizes.human(used * Layout.BLOCK_SIZE));
        out.printf("  data blocks free:   %d (%s)%n", layout.dataBlocks() - used,
                Sizes.human((layout.dataBlocks() - used) * Layout.BLOCK_SIZE));
    }

    private void listing(List<Row> rows) {
        out.println();
        out.printf("%10s  %-12s %6s %6s %14s %9s%n", "INO", "KIND", "MODE", "NLINK", "SIZE", "LOGSEGS");
        List<Object> inodes = new ArrayList<>();
        facts.put("inodes", inodes);
        for (Row row : rows) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("ino", row.ino());
            inodes.add(f);
            if (row.inode() == null) {
                out.printf("%10d  DAMAGED: %s%n", row.ino(), row.error());
                f.put("damaged", row.error());
                continue;
            }
            Inode inode = row.inode();
            var a = inode.attributes();
            f.put("kind", kindName(inode.kind()));
            f.put("mode", Integer.toOctalString(a.mode() & 07777));
            f.put("nlink", a.nlink());
            f.put("size", a.size());
            f.put("log_segments", inode.log().segmentCount());
            f.put("log_slot", inode.log().startsInSlot());
            out.printf("%10d  %-12s %6s %6d %14d %9d%n", row.ino(), kindName(inode.kind()),
                    Integer.toOctalString(a.mode() & 07777), a.nlink(), a.size(), inode.log().segmentCount());
        }
    }

    private void inode(DaxDevice device, Layout layout, InodeTable table, InodeLoader loader, long ino) {
        InodeTable.Record rec = table.read(ino);
        Map<String, Object> f = section("inode");
        f.put("ino", ino);
        f.put("tail", rec.tail());
        f.put("head", rec.head());
        f.put("generation", rec.generation());
        f.put("checksum_ok", rec.crcValid());
        List<Object> entries = new ArrayList<>();
        f.put("log_entries", entries);
        out.println();
        out.printf("Inode %d: record at byte %d%n", ino, layout.inodeOffset(ino));
        out.printf("  tail:        %s%n", rec.tail() == 0 ? "0 (free)" : rec.tail() + " " + where(rec.tail()));
        out.printf("  head:        %s%n", LogSegment.isSlot(rec.head()) ? LogSegment.describe(rec.head())
                : "log page " + rec.head());
        out.printf("  generation:  %d%n", rec.generation());
        out.printf("  checksum:    %s%n", rec.crcValid() ? "ok" : "BAD (head and generation cannot be trusted)");
        if (!rec.inUse()) {
            out.println("  (inode is free)");
            return;
        }
        if (!rec.crcValid()) {
            damaged = true;
        }
        out.println("Log entries (device offset, block+offset, type, fields):");
        InodeLog log;
        try {
            log = new LogReader(device, layout).read(ino, rec.head(), rec.tail(),
                    (entry, offset) -> {
                        out.printf("  %12d %-12s %s%n", offset, where(offset), describe(entry));
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("offset", offset);
                        e.put("entry", describe(entry));
                        entries.add(e);
                    });
        } catch (LogCorruptException | IndexOutOfBoundsException e) {
            damaged = true;
            out.println("  DAMAGED: " + e.getMessage());
            f.put("log_damaged", e.getMessage());
            return;
        }
        StringBuilder pages = new StringBuilder();
        for (int i = 0; i < log.segmentCount(); i++) {
            long segment = log.segment(i);
            pages.append(i == 0 ? "" : " -> ").append(LogSegment.isSlot(segment)
                    ? "slot " + LogSegment.block(segment) + "." + LogSegment.slotIndex(segment) : segment);
        }
        out.printf("Log segments (%d): %s%n", log.segmentCount(), pages);
        try {
            var a = loader.loadOrThrow(ino).attributes();
            out.printf("Replayed: %s, mode %s, uid %d, gid %d, nlink %d, size %d, %d blocks, mtime %s%n",
                    kindName(a.kind()), Integer.toOctalString(a.mode() & 07777), a.uid(), a.gid(), a.nlink(),
                    a.size(), a.blocks() / (Layout.BLOCK_SIZE / 512), a.mtime());
        } catch (RuntimeException e) {
            damaged = true;
            out.println("Replay fails: " + e.getMessage());
        }
    }

    /** One log entry's fields, in the order docs/FORMAT.md lists them. */
    static String describe(LogEntry entry) {
        return switch (entry) {
            case LogEntry.InodeEntry e -> String.format(Locale.ROOT,
                    "INODE    mode=0%o uid=%d gid=%d flags=0x%x nlink=%d rdev=%d size=%d atime=%s mtime=%s ctime=%s"
                            + " btime=%s parent=%d next_cookie=%d",
                    e.mode(), e.uid(), e.gid(), e.flags(), e.nlink(), e.rdev(), e.size(), e.atime(),
                    e.mtime(), e.ctime(), e.btime(), e.parent(), e.nextCookie());
            case LogEntry.WriteEntry e -> String.format(Locale.ROOT,
                    "WRITE    pgoff=%d count=%d block=%s size=%d time=%s", e.pgoff(), e.count(),
                    e.isHole() ? "hole" : String.valueOf(e.block()), e.size(), time(e.timeNs()));
            case LogEntry.DentryAdd e -> String.format(Locale.ROOT,
                    "DENTRY+  name=%s ino=%d kind=%s cookie=%d time=%s", quote(e.name()), e.ino(), kindOf(e.kindBits()),
                    e.cookie(), time(e.timeNs()));
            case LogEntry.DentryDel e -> String.format(Locale.ROOT,
                    "DENTRY-  name=%s cookie=%d time=%s", quote(e.name()), e.cookie(), time(e.timeNs()));
            case LogEntry.XattrSet e -> String.format(Locale.ROOT,
                    "XATTR+   name=%s length=%d value=%s%s time=%s", quote(e.name()), e.value().length,
                    HexFormat.of().formatHex(e.value(), 0, Math.min(16, e.value().length)),
                    e.value().length > 16 ? "..." : "", time(e.timeNs()));
            case LogEntry.XattrDel e -> String.format(Locale.ROOT,
                    "XATTR-   name=%s time=%s", quote(e.name()), time(e.timeNs()));
            case LogEntry.XattrRef e -> String.format(Locale.ROOT,
                    "XATTR+   name=%s length=%d blocks=%s time=%s", quote(e.name()), e.length(),
                    java.util.Arrays.toString(e.blocks()), time(e.timeNs()));
        };
    }

    private static String kindOf(int bits) {
        try {
            return kindName(FileKind.fromMode(bits));
        } catch (RuntimeException e) {
            return "0" + Integer.toOctalString(bits) + "?";
        }
    }

    private static String kindName(FileKind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** "(block B + offset O)" of a device byte offset. */
    private static String where(long offset) {
        return "(" + (offset >>> Layout.BLOCK_SHIFT) + "+" + (offset & (Layout.BLOCK_SIZE - 1)) + ")";
    }

    static String time(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)).toString();
    }

    /**
     * A stored name in double quotes: decoded as UTF-8 when it is valid UTF-8, else byte by byte
     * with every byte above 0x7f as \\xNN; quotes, backslashes and control characters escaped.
     */
    static String quote(io.daxfs.core.Name name) {
        byte[] bytes = name.toByteArray();
        try {
            return quote(java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (java.nio.charset.CharacterCodingException notUtf8) {
            StringBuilder sb = new StringBuilder("\"");
            for (byte b : bytes) {
                appendEscaped(sb, (char) (b & 0xff), true);
            }
            return sb.append('"').toString();
        }
    }

    /** A name in double quotes, with quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            appendEscaped(sb, s.charAt(i), false);
        }
        return sb.append('"').toString();
    }

    private static void appendEscaped(StringBuilder sb, char c, boolean rawByte) {
        if (c == '"' || c == '\\') {
            sb.append('\\').append(c);
        } else if (c < 0x20 || c == 0x7f || (rawByte && c > 0x7f)) {
            sb.append(String.format("\\x%02x", (int) c));
        } else {
            sb.append(c);
        }
    }

    private static ToolException usage(String message) {
        return CommandRun.usageError(NAME, message);
    }
}
