package io.daxfs.core.check;

import io.daxfs.core.DirEntry;
import io.daxfs.core.Errno;
import io.daxfs.core.FileKind;
import io.daxfs.core.Name;
import io.daxfs.core.FsException;
import io.daxfs.core.Timestamp;
import io.daxfs.core.balloc.BlockAllocator;
import io.daxfs.core.balloc.SlotAllocator;
import io.daxfs.core.check.Analysis.Finding;
import io.daxfs.core.check.Analysis.InodeInfo;
import io.daxfs.core.check.Analysis.NameRef;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.Layouts;
import io.daxfs.core.format.Checksums;
import io.daxfs.core.format.Layout;
import io.daxfs.core.format.Superblock;
import io.daxfs.core.inode.Inode;
import io.daxfs.core.inode.InodeTable;
import io.daxfs.core.journal.Journal;
import io.daxfs.core.log.InodeLog;
import io.daxfs.core.log.LogEntry;
import io.daxfs.core.log.LogEntry.DentryAdd;
import io.daxfs.core.log.LogEntry.DentryDel;
import io.daxfs.core.log.LogEntry.InodeEntry;
import io.daxfs.core.log.LogEntry.WriteEntry;
import io.daxfs.core.log.LogEntry.XattrDel;
import io.daxfs.core.log.LogWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Repairs what the {@link Checker} finds (fsck -y / -p). Repair goes in passes: each pass fixes
 * the findings of the earliest {@link Problem.Kind#phase phase} present (superblocks, then the
 * journal, then inode records and logs, then names, blocks and orphans, then connectivity, then
 * link counts and parents), and checks the image again, so that every fix works on a consistent
 * picture of what came before it. Finally the allocator is rebuilt from the blocks in use, saved
 * as the free list, and the superblock marked clean.
 *
 * <p>Every write goes through the {@link DaxDevice} interface with the format's commit protocol:
 * entries are appended with {@link LogWriter} and committed by their tail store (or, for changes
 * of several inodes, through the {@link Journal}), so an interrupted repair leaves an image that a
 * second run can finish.
 */
public final class Repairer {
    private static final int MAX_PASSES = 24;

    private Repairer() {}

    /** How much fsck may do. */
    public enum Mode {
        /** {@code -y}: repair everything. */
        ALL,
        /**
         * {@code -p}: repair only what needs no decision ({@link Problem.Kind#preenSafe}); with
         * anything else the image is left untouched.
         */
        PREEN
    }

    /**
     * What a repair did.
     *
     * @param before the first check
     * @param after the check after the last pass (equal to {@code before} if nothing was written)
     * @param actions one line per fix applied
     * @param modified whether anything was written
     * @param refused {@link Mode#PREEN} met a problem it may not fix; nothing was written
     */
    public record Result(CheckReport before, CheckReport after, List<String> actions, boolean modified,
            boolean refused, int passes) {
        /** Errors were found and the image is now clean. */
        public boolean errorsCorrected() {
            return modified && !before.clean() && after.clean();
        }
    }

    public static Result repair(DaxDevice device) {
        return repair(device, Mode.ALL, Checker.Listener.NONE, line -> { });
    }

    /**
     * Checks and repairs the unmounted image on {@code device}; {@code log} receives a line per
     * fix as it is applied.
     *
     * @throws Checker.CancelledException if the listener asked to stop (between passes)
     */
    public static Result repair(DaxDevice device, Mode mode, Checker.Listener listener, Consumer<String> log) {
        Objects.requireNonNull(mode, "mode");
        CheckReport before = Checker.check(device, listener);
        List<String> actions = new ArrayList<>();
        if (before.fatal()) {
            return new Result(before, before, actions, false, false, 0);
        }
        if (mode == Mode.PREEN && !preenable(before)) {
            return new Result(before, before, actions, false, true, 0);
        }
        CheckReport current = before;
        boolean modified = false;
        boolean refused = false;
        int passes = 0;
        List<Problem> previous = null;
        while (passes < MAX_PASSES) {
            List<Finding> todo = current.analysis().findings.stream()
                    .filter(f -> f.fix() != null && f.problem().kind().phase() < 7).toList();
            if (todo.isEmpty()) {
                break;
            }
            if (current.problems().equals(previous)) {
                actions.add("repair makes no progress; giving up with " + todo.size() + " problem(s) left");
                log.accept(actions.getLast());
                break;
            }
            if (mode == Mode.PREEN && !preenable(current)) {
                refused = true;
                break;
            }
            previous = current.problems();
            passes++;
            int phase = todo.stream().mapToInt(f -> f.problem().kind().phase()).min().orElseThrow();
            Context ctx = new Context(device, current.analysis());
            for (Finding f : todo) {
                if (f.problem().kind().phase() != phase) {
                    continue;
                }
                String line = f.problem().message() + ": " + f.problem().kind().repair();
                try {
                    f.fix().apply(ctx);
                } catch (RuntimeException e) {
                    line = f.problem().message() + ": repair failed: " + e;
                }
                modified = true;
                actions.add(line);
                log.accept(line);
            }
            current = Checker.check(device, listener);
            if (current.fatal()) {
                break;
            }
        }
        boolean structuralLeft = current.analysis().findings.stream()
                .anyMatch(f -> f.problem().kind().phase() < 7 && f.problem().isError());
        if (!current.fatal() && !refused && !structuralLeft && (modified || !current.problems().isEmpty())) {
            new Context(device, current.analysis()).finish();
            String line = "allocator rebuilt from the blocks in use (" + current.stats().freeBlocks()
                    + " free); filesystem marked clean";
            actions.add(line);
            log.accept(line);
            modified = true;
            current = Checker.check(device, listener);
        }
        return new Result(before, current, actions, modified, refused, passes);
    }

    private static boolean preenable(CheckReport report) {
        return report.problems().stream().allMatch(p -> p.kind().preenSafe());
    }

    /** What a fix can do to the image; one per pass, over the analysis of the check before it. */
    static final class Context {
        private final DaxDevice device;
        private final Analysis a;
        private final Layout layout;
        private final long now;
        private final Map<Long, Inode> created = new HashMap<>();
        private BlockAllocator allocator;
        private LogWriter writer;
        private InodeTable table;
        private Inode lostFound;

        Context(DaxDevice device, Analysis analysis) {
            this.device = device;
            this.a = analysis;
            this.layout = analysis.layout;
            java.time.Instant t = java.time.Instant.now();
            this.now = t.getEpochSecond() * 1_000_000_000L + t.getNano();
        }

        DaxDevice device() {
            return device;
        }

        long tailOffset(long ino) {
            return layout.inodeOffset(ino) + InodeTable.TAIL;
        }

        /** One commit store: 8 bytes with release semantics, flushed and fenced. */
        void publish(long offset, long value) {
            device.fence(); // staged entries and new records are not fenced before their commit
            device.storeRelease(offset, value);
            device.flush(offset, Long.BYTES);
            device.fence();
        }

        private BlockAllocator allocator() {
            if (allocator == null) {
                allocator = BlockAllocator.fromUsed(layout, a.used);
            }
            return allocator;
        }

        private LogWriter writer() {
            if (writer == null) {
                writer = new LogWriter(device, allocator(), SlotAllocator.empty(allocator()));
            }
            return writer;
        }

        private InodeTable table() {
            if (table == null) {
                table = new InodeTable(device, layout);
            }
            return table;
        }

        private Inode inode(long ino) {
            Inode c = created.get(ino);
            if (c != null) {
                return c;
            }
            InodeInfo info = a.live(ino);
            if (info == null) {
                throw new IllegalStateException("inode " + ino + " is not live");
            }
            return a.inode(info);
        }

        /** Rewrites head, generation, reserved bytes and checksum of a record; the tail stays. */
        void rewriteRecord(long ino, long head, long generation) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment rec = arena.allocate(Layout.INODE_SIZE, 8);
                rec.set(Layouts.LONG, InodeTable.HEAD, head);
                rec.set(Layouts.LONG, InodeTable.GENERATION, generation);
                rec.set(Layouts.INT, InodeTable.CRC,
                        Checksums.crc32c(rec, InodeTable.GENERATION, InodeTable.CRC - InodeTable.GENERATION));
                device.copyIn(rec.asSlice(InodeTable.HEAD), layout.inodeOffset(ino) + InodeTable.HEAD);
                device.fence();
            }
        }

        /** Appends to one log and commits with its tail store. */
        private void append(Inode inode, List<LogEntry> entries) {
            LogWriter.Staged staged = writer().stage(inode.ino(), inode.log(), entries, BlockAllocator.Use.RELEASE);
            publish(tailOffset(inode.ino()), staged.newTail());
            staged.publishTo(inode.log());
            entries.forEach(e -> inode.apply(e, (b, c) -> { }));
        }

        /** Appends to several logs and commits them together through the journal. */
        private void appendAll(LinkedHashMap<Inode, List<LogEntry>> appends) {
            List<Inode> inodes = new ArrayList<>(appends.keySet());
            List<LogWriter.Staged> staged = new ArrayList<>();
            try {
                for (Inode inode : inodes) {
                    staged.add(writer().stage(inode.ino(), inode.log(), appends.get(inode), BlockAllocator.Use.RELEASE));
                }
            } catch (RuntimeException e) {
                staged.forEach(s -> writer().unstage(s));
                throw e;
            }
            long[] offsets = new long[inodes.size()];
            long[] values = new long[inodes.size()];
            for (int i = 0; i < inodes.size(); i++) {
                offsets[i] = tailOffset(inodes.get(i).ino());
                values[i] = staged.get(i).newTail();
            }
            if (offsets.length == 1) {
                publish(offsets[0], values[0]);
            } else {
                new Journal(device).commit(offsets, values);
            }
            for (int i = 0; i < inodes.size(); i++) {
                Inode inode = inodes.get(i);
                staged.get(i).publishTo(inode.log());
                appends.get(inode).forEach(e -> inode.apply(e, (b, c) -> { }));
            }
        }

        private InodeEntry attrs(Inode inode, int nlink, long parent) {
            InodeEntry e = inode.snapshotEntry();
            return new InodeEntry(e.mode(), e.uid(), e.gid(), e.flags(), nlink, e.rdev(), e.size(), e.atime(),
                    e.mtime(), Timestamp.ofNanos(now), e.btime(), parent, e.nextCookie());
        }

        void dropName(long dirIno, Name name, long cookie) {
            append(inode(dirIno), List.of(new DentryDel(name, cookie, now)));
        }

        /** Gives {@code name} in {@code dirIno} a cookie of its own: the entry re-added under the next cookie. */
        void removeXattr(long ino, Name name) {
            append(inode(ino), List.of(new XattrDel(name, now)));
        }

        void renumber(long dirIno, Name name) {
            Inode dir = inode(dirIno);
            DirEntry e = dir.directory().lookup(name);
            append(dir, List.of(new DentryDel(name, e.cookie(), now),
                    new DentryAdd(name, e.ino(), e.kind().typeBits(), dir.directory().nextCookie(), now)));
        }

        void setParent(long ino, long parent) {
            Inode inode = inode(ino);
            append(inode, List.of(attrs(inode, inode.attrs().nlink(), parent)));
        }

        void setLinks(long ino, int links) {
            Inode inode = inode(ino);
            append(inode, List.of(attrs(inode, links, inode.attrs().parent())));
        }

        /** Deletes an orphan as mount would: tail and slot cleared in one journaled commit. */
        void reap(long ino, long slotOffset) {
            new Journal(device).commit(new long[] {tailOffset(ino), slotOffset}, new long[] {0, 0});
        }

        /**
         * Gives file page {@code pgoff} of {@code ino}, which shares {@code block} with another
         * owner, a block of its own holding a copy of the shared one, or (when {@code copy} is
         * false, or space is short) a hole.
         */
        void unshare(long ino, long pgoff, long block, boolean copy) {
            Inode inode = inode(ino);
            long target = 0;
            if (copy) {
                try {
                    target = allocator().allocateOne(BlockAllocator.Use.RELEASE);
                    device.copyIn(device.directAccess(Layout.offsetOf(block), Layout.BLOCK_SIZE),
                            Layout.offsetOf(target));
                    device.fence();
                } catch (FsException e) {
                    if (e.errno() != Errno.ENOSPC) {
                        throw e;
                    }
                    target = 0;
                }
            }
            append(inode, List.of(new WriteEntry(pgoff, target, 1, inode.size(), inode.attrs().mtime().toNanosSaturated())));
        }

        void createRoot() {
            createInode(null, Layout.ROOT_INO, null, FileKind.DIRECTORY.typeBits() | 0755);
        }

        /** Creates a directory inode; with a parent, named {@code name} in it (one journaled commit). */
        private Inode createInode(Inode parent, long forcedIno, String name, int mode) {
            long ino = forcedIno != 0 ? forcedIno : table().reserve();
            long generation = table().read(ino).generation() + 1;
            InodeLog log = writer().newLog(ino, BlockAllocator.Use.RELEASE);
            InodeEntry first = new InodeEntry(mode, 0, 0, 0, 2, 0, 0, Timestamp.ofNanos(now), Timestamp.ofNanos(now), Timestamp.ofNanos(now), Timestamp.ofNanos(now),
                    parent == null ? ino : parent.ino(), 0);
            table().writeNewRecord(ino, log.head(), generation);
            Inode inode = new Inode(ino, generation, first, log);
            if (parent == null) {
                LogWriter.Staged staged = writer().stage(ino, log, List.of(first), BlockAllocator.Use.RELEASE);
                publish(tailOffset(ino), staged.newTail());
                staged.publishTo(log);
            } else {
                LinkedHashMap<Inode, List<LogEntry>> appends = new LinkedHashMap<>();
                appends.put(inode, List.of(first));
                appends.put(parent, List.of(new DentryAdd(Name.of(name), ino, FileKind.DIRECTORY.typeBits(),
                        parent.directory().nextCookie(), now)));
                // The new inode's first entry is already its state: apply() of it again is harmless.
                appendAll(appends);
            }
            created.put(ino, inode);
            return inode;
        }

        /** The /lost+found directory, created in the root if there is none. */
        private Inode lostFound() {
            if (lostFound != null) {
                return lostFound;
            }
            Inode root = inode(Layout.ROOT_INO);
            String name = "lost+found";
            for (int n = 1; ; n++) {
                DirEntry e = root.directory().lookup(Name.of(name));
                if (e == null) {
                    lostFound = createInode(root, 0, name, FileKind.DIRECTORY.typeBits() | 0700);
                    return lostFound;
                }
                if (e.kind() == FileKind.DIRECTORY && (a.live(e.ino()) != null || created.containsKey(e.ino()))) {
                    lostFound = inode(e.ino());
                    return lostFound;
                }
                name = "lost+found." + n;
            }
        }

        /**
         * Names inode {@code ino} {@code #ino} in /lost+found (and drops its name {@code drop}, which
         * lies in an unreachable cycle). Directories get their parent field, other files a link
         * count of one more name.
         */
        void attach(long ino, NameRef drop) {
            Inode lf = lostFound();
            Inode target = inode(ino);
            String name = "#" + ino;
            for (int n = 1; lf.directory().lookup(Name.of(name)) != null; n++) {
                name = "#" + ino + "." + n;
            }
            LinkedHashMap<Inode, List<LogEntry>> appends = new LinkedHashMap<>();
            appends.put(lf, List.of(new DentryAdd(Name.of(name), ino, target.kind().typeBits(), lf.directory().nextCookie(),
                    now)));
            if (drop != null) {
                appends.put(inode(drop.dir()), List.of(new DentryDel(drop.name(), drop.cookie(), now)));
            }
            if (target.isDirectory()) {
                appends.put(target, List.of(attrs(target, target.attrs().nlink(), lf.ino())));
            } else {
                InodeInfo info = a.live(ino);
                int names = info == null ? 0 : info.nameCount;
                appends.put(target, List.of(attrs(target, names + 1, target.attrs().parent())));
            }
            appendAll(appends);
        }

        /** Rebuilds the allocator from the blocks in use, saves it and marks the superblock clean. */
        void finish() {
            BlockAllocator rebuilt = BlockAllocator.fromUsed(layout, a.used);
            Superblock.FreeList list = rebuilt.save(device);
            a.superblock.withState(Superblock.State.CLEAN, list, now, false).writeBoth(device);
        }
    }
}
