package io.daxfs.fsck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.FsException;
import io.daxfs.core.MountOptions;
import io.daxfs.core.Name;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.Extent;
import io.daxfs.core.check.CheckReport;
import io.daxfs.core.check.Checker;
import io.daxfs.core.check.ImageCrafter;
import io.daxfs.core.check.ImageCrafter.Located;
import io.daxfs.core.check.Problem;
import io.daxfs.core.check.Repairer;
import io.daxfs.core.check.TestImages;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.MemoryDevice;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.CorruptImageException;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.fs.DaxFileSystem;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.LogCorruptException;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogEntry.XattrRef;
import io.daxfs.core.log.LogPage;
import io.daxfs.core.log.LogSegment;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Issue #6 point 4: thousands of seeded, reproducible mutations of a populated image's metadata
 * (superblocks, journal, orphan table, inode records, log page headers and entries found by
 * walking the logs): single bits and bytes, 8-byte words set to telling values, and changes whose
 * checksum is then recomputed (so that the validation behind the checksums is exercised too).
 *
 * <p>For each image: mounting the damaged image and reading everything may only fail with
 * {@link CorruptImageException} or {@link FsException}; the checker must finish; the repair must
 * end clean (then the image mounts, reads back whole, and checks clean after unmount) or refuse
 * (no usable superblock, and mount refuses too). A timeout per image catches loops.
 *
 * <p>{@code -Ddaxfs.fuzz.images=N} (default 2000) and {@code -Ddaxfs.fuzz.seed=S} set the run;
 * image {@code i} uses seed {@code S + i}, so a failure is reproduced by its seed alone.
 */
class FsckFuzzTest {
    private static final int IMAGES = Integer.getInteger("daxfs.fuzz.images", 2000);
    private static final int CRAFTED = Integer.getInteger("daxfs.fuzz.crafted", 200);
    private static final long SEED = Long.getLong("daxfs.fuzz.seed", 20240601L);
    private static final long TIMEOUT_SECONDS = 30;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte offsets in an INODE entry (docs/FORMAT.md): the four times' seconds, then their nanoseconds. */
    private static final int INODE_SECONDS_AT = 8 + 40;
    private static final int INODE_NANOS_AT = 8 + 72;

    private enum Outcome { CLEAN, REPAIRED, REFUSED }

    /** A metadata range with what it is and how to recompute the checksum that covers it. */
    private record Region(String what, long offset, int length, long crcStart, int crcLength, long crcField,
            boolean skipping) {}

    @Test
    void mutatedImagesNeverCrashFsckOrMount() throws Exception {
        byte[] base = TestImages.populated();
        List<List<Region>> regions = regions(base);
        run("fsck fuzz", IMAGES, seed -> one(base, regions, seed));
    }

    /**
     * Issue #13: images crafted with every checksum valid, so that only the engine's own
     * verification stands in the way: structure-aware changes made with {@link ImageCrafter}
     * (cross-linked blocks, a lying free list, link counts, orphan slots, journal records, log
     * cycles, cookies, names, entries naming other inodes, the root's type, a crash state).
     * {@code -Ddaxfs.fuzz.crafted=N} (default 200; 20000 in the long profile).
     */
    @Test
    void craftedImagesNeverCrashFsckOrMount() throws Exception {
        byte[] base = TestImages.populated();
        run("fsck fuzz, crafted", CRAFTED, seed -> crafted(base, seed));
    }

    private static void run(String label, int images, java.util.function.LongFunction<String[]> oneImage)
            throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int damagedMountOk = 0;
        int damagedMountRefused = 0;
        long started = System.nanoTime();
        ExecutorService executor = newExecutor();
        try {
            for (int i = 0; i < images && failures.size() < 20; i++) {
                long seed = SEED + i;
                Future<String[]> f = executor.submit(() -> oneImage.apply(seed));
                String[] result;
                try {
                    result = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    failures.add("seed " + seed + ": no result in " + TIMEOUT_SECONDS + " s (a loop?)");
                    executor.shutdownNow();
                    executor = newExecutor();
                    continue;
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    java.io.StringWriter sw = new java.io.StringWriter();
                    c.printStackTrace(new java.io.PrintWriter(sw));
                    failures.add("seed " + seed + ": " + sw.toString().lines().limit(40).reduce((x, y) -> x + "\n" + y)
                            .orElse(""));
                    continue;
                }
                counts.merge(result[0], 1, Integer::sum);
                if (result[1].equals("ok")) {
                    damagedMountOk++;
                } else {
                    damagedMountRefused++;
                }
            }
        } finally {
            executor.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("%s: %d images (seeds %d..%d) in %.1f s: %s, failures %d; mount of the damaged "
                + "image: %d mounted and read, %d refused cleanly%n", label, counts.values().stream().mapToInt(x -> x)
                .sum() + failures.size(), SEED, SEED + images - 1, seconds, counts, failures.size(), damagedMountOk,
                damagedMountRefused);
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
    }

    private static ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    /** Mutates, mounts the damaged copy, checks, repairs and verifies one image. Returns outcome and mount result. */
    private static String[] one(byte[] base, List<List<Region>> regions, long seed) {
        Random r = new Random(seed);
        byte[] img = base.clone();
        List<String> done = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        for (int k = 0; k < n; k++) {
            done.add(mutate(img, regions, r));
        }
        return verify(img, "seed " + seed + " " + done);
    }

    /**
     * Mounts the damaged image and reads everything, then checks, repairs and verifies it.
     * Returns the outcome and whether the damaged image mounted.
     */
    private static String[] verify(byte[] img, String what) {
        String damagedMount = mountDamaged(img, what);

        try (DaxDevice device = MemoryDevice.fromImage(img)) {
            CheckReport first = Checker.check(device);
            if (first.has(Problem.Kind.CHECK_ABORTED)) {
                throw new AssertionError(what + ": checker aborted: " + first.problems());
            }
            Repairer.Result res = Repairer.repair(device);
            if (res.before().fatal()) {
                try {
                    DaxFileSystem.mount(device, MountOptions.defaults()).close();
                    throw new AssertionError(what + ": the checker found no usable superblock but mount accepted it: "
                            + res.before().problems());
                } catch (CorruptImageException e) {
                    return new String[] {Outcome.REFUSED.name(), damagedMount};
                }
            }
            if (!res.after().clean()) {
                throw new AssertionError(what + ": repair left errors: " + res.after().errors() + "\nactions: "
                        + res.actions() + "\nbefore: " + res.before().problems());
            }
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                TestImages.readEverything(fs);
            } catch (RuntimeException e) {
                throw new AssertionError(what + ": repaired image does not mount and read: " + e + "\nactions: "
                        + res.actions(), e);
            }
            CheckReport afterMount = Checker.check(device);
            if (!afterMount.problems().isEmpty()) {
                throw new AssertionError(what + ": after repair, mount and unmount the checker finds "
                        + afterMount.problems() + "\nactions: " + res.actions());
            }
            Outcome outcome = res.before().clean() ? Outcome.CLEAN : Outcome.REPAIRED;
            return new String[] {outcome.name(), damagedMount};
        }
    }

    /** Mounts and reads the damaged image as it is: only clear refusals are allowed. */
    private static String mountDamaged(byte[] img, String what) {
        try (DaxDevice device = MemoryDevice.fromImage(img)) {
            try (DaxFileSystem fs = DaxFileSystem.mount(device, MountOptions.defaults())) {
                TestImages.readEverything(fs);
            }
            return "ok";
        } catch (CorruptImageException | FsException e) {
            return "refused";
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": mount of the damaged image threw " + e, e);
        }
    }

    // ---- crafted mode ----

    /** Applies one to three crafted changes to a copy of {@code base}, then verifies it. */
    private static String[] crafted(byte[] base, long seed) {
        Random r = new Random(seed);
        byte[] img;
        List<String> done = new ArrayList<>();
        try (DaxDevice device = MemoryDevice.fromImage(base.clone())) {
            int n = 1 + r.nextInt(3);
            for (int k = 0; k < n; k++) {
                done.add(craft(new ImageCrafter(device), r));
            }
            img = MemoryDevice.snapshot(device);
        }
        return verify(img, "crafted seed " + seed + " " + done);
    }

    /** One structure-aware change with valid checksums; returns what it did. */
    private static String craft(ImageCrafter c, Random r) {
        Layout layout = c.layout();
        InodeTable table = new InodeTable(c.device(), layout);
        List<Long> live = new ArrayList<>();
        for (long ino = 1; ino < layout.inodeCount(); ino++) {
            if (table.isUsed(ino)) {
                live.add(ino);
            }
        }
        long ino = live.get(r.nextInt(live.size()));
        long other = live.get(r.nextInt(live.size()));
        int what = r.nextInt(16);
        try {
            return switch (what) {
                case 0 -> crossLink(c, r, ino, other);
                case 1 -> lyingFreeList(c, r, ino);
                case 2 -> {
                    int links = new int[] {0, 1, 2, -1, 65000}[r.nextInt(5)];
                    for (Located l : c.all(ino, InodeEntry.class)) {
                        InodeEntry e = (InodeEntry) l.entry();
                        c.replaceEntry(l.offset(), new InodeEntry(e.mode(), e.uid(), e.gid(), e.flags(), links,
                                e.rdev(), e.size(), e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(),
                                e.nextCookie()));
                    }
                    yield "nlink of " + ino + " = " + links;
                }
                case 3 -> {
                    int slot = r.nextInt(4);
                    c.setOrphan(slot, other);
                    yield "orphan slot " + slot + " = " + other;
                }
                case 4 -> {
                    long word = layout.inodeOffset(ino) + 8L * new int[] {0, 1, 2, 3, 7}[r.nextInt(5)];
                    long old = c.device().getLong(word) + (r.nextBoolean() ? 1 : -64);
                    c.markDirty();
                    int lane = r.nextInt(Journal.LANES);
                    c.setJournal(lane, new long[] {word}, new long[] {old});
                    yield "journal lane " + lane + " record on byte " + word + " (inode " + ino + ")";
                }
                case 5 -> {
                    long[] pages = c.logSegments(ino);
                    long[] target = r.nextBoolean() ? pages : c.logSegments(other);
                    long from = pages[r.nextInt(pages.length)];
                    long to = target[r.nextInt(target.length)];
                    c.setNext(from, to);
                    yield "log page " + from + " of " + ino + " -> " + to;
                }
                case 6 -> {
                    List<Located> adds = c.all(ino, DentryAdd.class);
                    if (adds.size() < 2) {
                        yield "no cookie to duplicate in " + ino;
                    }
                    Located victim = adds.get(r.nextInt(adds.size()));
                    DentryAdd source = (DentryAdd) adds.get(r.nextInt(adds.size())).entry();
                    DentryAdd e = (DentryAdd) victim.entry();
                    c.replaceEntry(victim.offset(), new DentryAdd(e.name(), e.ino(), e.kindBits(), source.cookie(),
                            e.timeNs()));
                    yield "cookie of '" + e.name() + "' in " + ino + " = " + source.cookie();
                }
                case 7 -> {
                    List<Located> adds = c.all(ino, DentryAdd.class);
                    if (adds.isEmpty()) {
                        yield "no name to spoil in " + ino;
                    }
                    Located victim = adds.get(r.nextInt(adds.size()));
                    DentryAdd e = (DentryAdd) victim.entry();
                    byte[] name = e.name().toByteArray();
                    String how;
                    if (r.nextBoolean() || name.length > 7) {
                        name[r.nextInt(name.length)] = (byte) (r.nextBoolean() ? '/' : 0);
                        how = "a '/' or NUL";
                    } else {
                        name = new byte[0];
                        how = "empty";
                    }
                    c.replaceEntry(victim.offset(), new DentryAdd(Name.of(name), e.ino(), e.kindBits(), e.cookie(),
                            e.timeNs()));
                    yield "name '" + e.name() + "' in " + ino + " made " + how;
                }
                case 8 -> {
                    List<Located> adds = c.all(ino, DentryAdd.class);
                    if (adds.isEmpty()) {
                        yield "no entry to redirect in " + ino;
                    }
                    Located victim = adds.get(r.nextInt(adds.size()));
                    DentryAdd e = (DentryAdd) victim.entry();
                    c.replaceEntry(victim.offset(), new DentryAdd(e.name(), other, e.kindBits(), e.cookie(),
                            e.timeNs()));
                    yield "entry '" + e.name() + "' in " + ino + " -> inode " + other;
                }
                case 9 -> {
                    int type = new int[] {0100000, 0120000, 0010000}[r.nextInt(3)];
                    for (Located l : c.all(Layout.ROOT_INO, InodeEntry.class)) {
                        InodeEntry e = (InodeEntry) l.entry();
                        c.replaceEntry(l.offset(), new InodeEntry(type | 0644, e.uid(), e.gid(), e.flags(), 1,
                                e.rdev(), 0, e.atime(), e.mtime(), e.ctime(), e.btime(), e.parent(),
                                e.nextCookie()));
                    }
                    yield "root made mode " + Integer.toOctalString(type);
                }
                case 10 -> {
                    Superblock sb = c.superblock();
                    long inodes = sb.inodeCount() + Layout.INODES_PER_BLOCK * (1 + r.nextInt(16));
                    c.writeSuperblock(new Superblock(sb.formatVersion(), sb.features(), sb.totalBlocks(), inodes,
                            sb.uuid(), sb.label(), sb.state(), sb.createdNs(), sb.lastMountNs(), sb.lastWriteNs(),
                            sb.mountCount(), sb.freeList()));
                    yield "inode count " + sb.inodeCount() + " -> " + inodes;
                }
                case 12 -> {
                    List<Located> refs = new ArrayList<>();
                    for (long candidate : live) { // the xattrs stored out of line, wherever they are
                        if (refs.isEmpty()) {
                            ino = candidate;
                            refs = c.all(candidate, XattrRef.class);
                        }
                    }
                    if (refs.isEmpty()) {
                        yield "no xattr value out of line";
                    }
                    Located victim = refs.get(r.nextInt(refs.size()));
                    XattrRef x = (XattrRef) victim.entry();
                    long[] blocks = x.blocks().clone();
                    long[] pages = c.logBlocks(other);
                    long target = r.nextBoolean() ? pages[r.nextInt(pages.length)] : blocks[r.nextInt(blocks.length)];
                    blocks[r.nextInt(blocks.length)] = target;
                    c.replaceEntry(victim.offset(), new XattrRef(x.name(), x.length(), blocks, x.timeNs()));
                    yield "xattr '" + x.name() + "' of " + ino + " keeps a block in " + target;
                }
                case 11 -> {
                    List<Located> inodes = c.all(ino, InodeEntry.class);
                    Located victim = inodes.get(r.nextInt(inodes.size()));
                    int time = r.nextInt(4);
                    boolean nanos = r.nextBoolean();
                    long value = nanos ? new long[] {1_000_000_000L, -1, Integer.MAX_VALUE}[r.nextInt(3)]
                            : new long[] {Long.MIN_VALUE, Long.MAX_VALUE, -(1L << 31) - 1, 1L << 34}[r.nextInt(4)];
                    c.patchEntry(victim.offset(), nanos ? INODE_NANOS_AT + 4 * time : INODE_SECONDS_AT + 8 * time,
                            value, nanos ? 4 : 8);
                    yield "time " + time + (nanos ? " nanoseconds" : " seconds") + " of an INODE entry of " + ino
                            + " = " + value;
                }
                case 13 -> {
                    long[] target = c.logSegments(other);
                    long block = LogSegment.block(target[r.nextInt(target.length)]);
                    int index = r.nextInt(Layout.SLOTS_PER_BLOCK);
                    c.moveSlot(ino, block, index);
                    yield "slot of " + ino + " moved to " + block + "." + index + " (a log block of " + other + ")";
                }
                case 14 -> {
                    List<Located> writes = c.all(other, WriteEntry.class).stream()
                            .filter(l -> ((WriteEntry) l.entry()).block() != 0).toList();
                    if (writes.isEmpty()) {
                        yield "no data block of " + other + " to put a slot in";
                    }
                    long block = ((WriteEntry) writes.get(r.nextInt(writes.size())).entry()).block();
                    int index = r.nextInt(Layout.SLOTS_PER_BLOCK);
                    c.moveSlot(ino, block, index);
                    yield "slot of " + ino + " moved into data block " + block + "." + index + " of " + other;
                }
                default -> {
                    c.markDirty();
                    yield "marked dirty";
                }
            };
        } catch (LogCorruptException | IllegalArgumentException | CorruptImageException e) {
            return "change " + what + " skipped (" + e.getMessage() + ")"; // an earlier change broke what it needs
        }
    }

    /** Points a WRITE of {@code ino} at a block someone else (or its own log) uses. */
    private static String crossLink(ImageCrafter c, Random r, long ino, long other) {
        List<Located> writes = c.all(ino, WriteEntry.class).stream()
                .filter(l -> ((WriteEntry) l.entry()).block() != 0).toList();
        if (writes.isEmpty()) {
            return "no write to cross-link in " + ino;
        }
        Located victim = writes.get(r.nextInt(writes.size()));
        WriteEntry w = (WriteEntry) victim.entry();
        List<Located> otherWrites = c.all(other, WriteEntry.class).stream()
                .filter(l -> ((WriteEntry) l.entry()).block() != 0).toList();
        long target = switch (r.nextInt(4)) {
            case 0 -> otherWrites.isEmpty() ? c.logBlocks(other)[0]
                    : ((WriteEntry) otherWrites.get(r.nextInt(otherWrites.size())).entry()).block();
            case 1 -> c.logBlocks(other)[0];
            case 2 -> c.logBlocks(ino)[0];
            default -> c.layout().dataStartBlock() + r.nextInt((int) (c.layout().dataBlocks() - w.count()));
        };
        long count = Math.min(w.count(), c.layout().dataEndBlock() - target);
        c.replaceEntry(victim.offset(), new WriteEntry(w.pgoff(), target, count, w.size(), w.timeNs()));
        return "write of " + ino + " page " + w.pgoff() + " -> block " + target;
    }

    /** Adds blocks {@code ino} uses to the saved free list. */
    private static String lyingFreeList(ImageCrafter c, Random r, long ino) {
        Superblock sb = c.superblock();
        if (!sb.freeList().present() || sb.state() != Superblock.State.CLEAN) {
            return "no saved free list";
        }
        List<Extent> extents = new ArrayList<>(BlockAllocator.load(c.layout(), c.device(), sb.freeList())
                .freeExtents());
        List<Long> used = new ArrayList<>();
        for (long page : c.logBlocks(ino)) {
            used.add(page);
        }
        for (Located l : c.all(ino, WriteEntry.class)) {
            WriteEntry w = (WriteEntry) l.entry();
            if (w.block() != 0) {
                used.add(w.block());
            }
        }
        long block = used.get(r.nextInt(used.size()));
        boolean free = extents.stream().anyMatch(e -> block >= e.start() && block < e.start() + e.count());
        if (free) {
            return "block " + block + " is free already";
        }
        extents.add(new Extent(block, 1));
        c.setFreeList(extents);
        return "free list lists block " + block + " of " + ino;
    }

    // ---- mutations ----

    private static String mutate(byte[] img, List<List<Region>> regions, Random r) {
        int[] weights = {10, 5, 6, 6, 25, 15, 33};
        int pick = r.nextInt(100);
        int group = 0;
        for (int acc = weights[0]; pick >= acc; acc += weights[++group]) {
            // find the group
        }
        List<Region> list = regions.get(group);
        Region region = list.get(r.nextInt(list.size()));
        MemorySegment seg = MemorySegment.ofArray(img);
        long at = region.offset() + r.nextInt(region.length());
        String how;
        int kind = r.nextInt(100);
        if (kind < 30) {
            int bit = r.nextInt(8);
            img[(int) at] ^= (byte) (1 << bit);
            how = "bit " + bit;
        } else if (kind < 45) {
            img[(int) at] = (byte) r.nextInt(256);
            how = "byte";
        } else {
            at = Math.max(region.offset(), at & ~7L);
            if (at + 8 > region.offset() + region.length()) {
                at = region.offset();
            }
            long old = seg.get(LONG, at);
            long value = interesting(old, r, base(img));
            seg.set(LONG, at, value);
            how = "word " + old + "->" + value;
        }
        boolean fixCrc = region.crcLength() > 0 && r.nextInt(100) < 35;
        if (fixCrc) {
            int crc = region.skipping()
                    ? Checksums.crc32cSkipping(seg, region.crcStart(), region.crcLength(), region.crcField())
                    : Checksums.crc32c(seg, region.crcStart(), region.crcLength());
            seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), region.crcField(), crc);
            how += " +crc";
        }
        return region.what() + "@" + at + " " + how;
    }

    private static long[] base(byte[] img) {
        long total = img.length / Layout.BLOCK_SIZE;
        return new long[] {total};
    }

    private static long interesting(long old, Random r, long[] info) {
        long total = info[0];
        return switch (r.nextInt(11)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            case 3 -> r.nextLong();
            case 4 -> r.nextInt((int) total);
            case 5 -> old + 1;
            case 6 -> old - 1;
            case 7 -> old + 8;
            case 8 -> old - 8;
            case 9 -> Layout.offsetOf(r.nextInt((int) total)) + 8L * r.nextInt(512);
            default -> old ^ (1L << r.nextInt(64));
        };
    }

    /** Metadata regions of the image, in groups: sb, backup sb, journal, orphans, inode records, log headers, entries. */
    private static List<List<Region>> regions(byte[] img) {
        List<List<Region>> groups = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            groups.add(new ArrayList<>());
        }
        try (DaxDevice d = MemoryDevice.fromImage(img)) {
            Superblock sb = Superblock.read(d);
            Layout layout = sb.layout();
            long backup = Layout.offsetOf(layout.backupSuperblockBlock());
            groups.get(0).add(new Region("sb", 0, 512, 0, 508, 508, false));
            groups.get(1).add(new Region("backup-sb", backup, 512, backup, 508, backup + 508, false));
            for (int lane = 0; lane < Journal.LANES; lane++) {
                groups.get(2).add(new Region("journal lane " + lane, Journal.laneOffset(lane), 64, 0, 0, 0, false));
            }
            groups.get(3).add(new Region("orphans", Layout.offsetOf(Layout.ORPHAN_START_BLOCK),
                    Layout.ORPHAN_SLOTS * 8, 0, 0, 0, false));
            for (long ino = 1; ino < layout.inodeCount(); ino++) {
                long rec = layout.inodeOffset(ino);
                if (d.getLong(rec) != 0 || ino % 16 == 0) {
                    groups.get(4).add(new Region("inode" + ino, rec, 64, rec + 16, 44, rec + 60, false));
                }
                if (d.getLong(rec) == 0) {
                    continue;
                }
                for (long page : TestImages.logSegments(d, ino)) {
                    long pbase = LogSegment.offset(page);
                    groups.get(5).add(new Region("logpage" + page, pbase, LogPage.FIRST_ENTRY, 0, 0, 0, false));
                }
                for (long entry : TestImages.entryOffsets(d, ino)) {
                    int length = Short.toUnsignedInt(d.directAccess(entry + 2, 2)
                            .get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
                    groups.get(6).add(new Region("entry" + ino + "@" + entry, entry, length, entry, length, entry + 4,
                            true));
                }
            }
        }
        return groups;
    }
}
