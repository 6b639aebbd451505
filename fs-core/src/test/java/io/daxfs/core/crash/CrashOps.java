package io.daxfs.core.crash;

import io.daxfs.core.FileKind;
import io.daxfs.core.FsException;
import io.daxfs.core.Name;
import io.daxfs.core.dax.DaxMapping;
import io.daxfs.core.file.FileData;
import io.daxfs.core.fs.AttrChange;
import io.daxfs.core.fs.DaxFileSystem;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The operations crash workloads are made of (CrashMonkey's ACE style): each acts on a small,
 * fixed tree built by {@link #setup}, resolving its paths when it runs, so any sequence of them
 * is meaningful. An operation that fails with an errno changes nothing, which is itself checked.
 */
final class CrashOps {
    /** An operation made of {@code steps} atomic steps (most have one). */
    record Op(String name, int steps, BiConsumer<DaxFileSystem, Integer> action) {
        Op(String name, Consumer<DaxFileSystem> action) {
            this(name, 1, (fs, step) -> action.accept(fs));
        }

        void runStep(DaxFileSystem fs, int step) {
            try {
                action.accept(fs, step);
            } catch (FsException expectedForSomeSequences) {
                // e.g. unlink of a name an earlier operation removed: the state must stay as it was
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final Name FF_NAME = Name.of(filled(255, 0xff));

    private CrashOps() {}

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** /A (dir, xattr), /A/foo (5000 bytes, a 20000-byte xattr), /A/sub (dir), /bar (8192 bytes). */
    static void setup(DaxFileSystem fs) {
        long a = fs.mkdir(fs.rootIno(), "A", 0755, 0, 0).ino();
        fs.setxattr(a, "user.dir", "d".getBytes(), 0);
        long foo = fs.create(a, "foo", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        write(fs, foo, 0, 5000, 'f');
        fs.setxattr(foo, "user.x", "1".getBytes(), 0);
        fs.setxattr(foo, "user.big", filled(20000, 'x'), 0);
        fs.mkdir(a, "sub", 0755, 0, 0);
        long bar = fs.create(fs.rootIno(), "bar", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0).ino();
        write(fs, bar, 0, 8192, 'b');
    }

    static final List<Op> ALL = List.of(
            new Op("create A/new", fs -> fs.create(ino(fs, "A"), "new", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0)),
            new Op("mkdir A/newdir", fs -> fs.mkdir(ino(fs, "A"), "newdir", 0700, 0, 0)),
            new Op("overwrite A/foo", fs -> write(fs, ino(fs, "A/foo"), 10, 100, 'o')),
            new Op("append bar", fs -> write(fs, ino(fs, "bar"), 8192, 20000, 'a')),
            new Op("sparse write A/foo", fs -> write(fs, ino(fs, "A/foo"), 100_000, 10, 's')),
            new Op("truncate bar 100", fs -> fs.truncate(ino(fs, "bar"), 100)),
            new Op("truncate A/foo 20000", fs -> fs.truncate(ino(fs, "A/foo"), 20000)),
            new Op("punch bar", fs -> fs.fallocate(ino(fs, "bar"), FileData.PUNCH_HOLE | FileData.KEEP_SIZE, 1000, 5000)),
            new Op("zero-range A/foo", fs -> fs.fallocate(ino(fs, "A/foo"), FileData.ZERO_RANGE, 0, 4096)),
            new Op("fallocate A/foo", fs -> fs.fallocate(ino(fs, "A/foo"), 0, 0, 40000)),
            new Op("link bar A/bar2", fs -> fs.link(ino(fs, "bar"), ino(fs, "A"), "bar2")),
            new Op("unlink bar", fs -> fs.unlink(fs.rootIno(), "bar")),
            new Op("unlink A/foo", fs -> fs.unlink(ino(fs, "A"), "foo")),
            new Op("rmdir A/sub", fs -> fs.rmdir(ino(fs, "A"), "sub")),
            new Op("rename bar A/bar", fs -> fs.rename(fs.rootIno(), "bar", ino(fs, "A"), "bar", 0)),
            new Op("rename A/foo bar (replace)", fs -> fs.rename(ino(fs, "A"), "foo", fs.rootIno(), "bar", 0)),
            new Op("rename A/sub sub2", fs -> fs.rename(ino(fs, "A"), "sub", fs.rootIno(), "sub2", 0)),
            new Op("exchange A/foo bar", fs -> fs.rename(ino(fs, "A"), "foo", fs.rootIno(), "bar", 2)),
            new Op("exchange A bar", fs -> fs.rename(fs.rootIno(), "A", fs.rootIno(), "bar", 2)),
            new Op("exchange A/sub bar (directory and file across parents)",
                    fs -> fs.rename(ino(fs, "A"), "sub", fs.rootIno(), "bar", 2)),
            new Op("O_TMPFILE in A, write, linkat A/tmp", 3, (fs, step) -> {
                switch (step) {
                    case 0 -> fs.tmpfile(ino(fs, "A"), 0600, 0, 0);
                    case 1 -> write(fs, unnamed(fs), 0, 6000, 't');
                    default -> fs.link(unnamed(fs), ino(fs, "A"), "tmp");
                }
            }),
            new Op("O_TMPFILE in A, write, never named", 2, (fs, step) -> {
                if (step == 0) {
                    fs.tmpfile(ino(fs, "A"), 0600, 0, 0);
                } else {
                    write(fs, unnamed(fs), 0, 9000, 'u');
                }
            }),
            new Op("chmod 06755 bar, write as uid 1000 (clears set-id)", 2, (fs, step) -> {
                if (step == 0) {
                    fs.chmod(ino(fs, "bar"), 06755);
                } else {
                    fs.write(ino(fs, "bar"), 5, MemorySegment.ofArray(new byte[] {'w'}), 1000);
                }
            }),
            new Op("copy_file_range bar -> A/foo", fs -> fs.copyFileRange(ino(fs, "bar"), 100, ino(fs, "A/foo"), 3000,
                    7000, 1000)),
            new Op("noreplace A/foo bar", fs -> fs.rename(ino(fs, "A"), "foo", fs.rootIno(), "bar", 1)),
            new Op("symlink A/s", fs -> fs.symlink(ino(fs, "A"), "s", "/some/target", 0, 0)),
            new Op("setxattr bar", fs -> fs.setxattr(ino(fs, "bar"), "user.y", "2".getBytes(), 0)),
            new Op("setxattr bar 64 KiB", fs -> fs.setxattr(ino(fs, "bar"), "user.big", filled(65536, 'v'), 0)),
            new Op("replace A/foo's 20000-byte xattr", fs -> fs.setxattr(ino(fs, "A/foo"), "user.big", filled(9000, 'r'),
                    0)),
            new Op("removexattr A/foo 20000 bytes", fs -> fs.removexattr(ino(fs, "A/foo"), "user.big")),
            new Op("removexattr A/foo", fs -> fs.removexattr(ino(fs, "A/foo"), "user.x")),
            new Op("chmod bar", fs -> fs.chmod(ino(fs, "bar"), 0600)),
            new Op("chown A/foo", fs -> fs.chown(ino(fs, "A/foo"), 1000, 1000)),
            new Op("utimens bar", fs -> fs.utimens(ino(fs, "bar"), 1, 2, 3, 4)),
            new Op("setattr bar: mode, owner, shrink to 100, times in one", fs -> fs.setattr(ino(fs, "bar"),
                    AttrChange.NONE.withMode(06700).withOwner(1000, 1000).withSize(100).withTimes(1, 2, 3, 4), 1000)),
            new Op("setattr A/foo: mode, grow to 20000, times in one", fs -> fs.setattr(ino(fs, "A/foo"),
                    AttrChange.NONE.withMode(0600).withSize(20000).withTimes(5, 6, 7, 8), 0)),
            new Op("utimens bar to 1901 and 2446", fs -> fs.utimens(ino(fs, "bar"), -2_147_483_647L, 123_456_789,
                    15_032_385_534L, 999_999_999)),
            new Op("map bar past EOF, store, persist", fs -> {
                try (DaxMapping m = fs.map(ino(fs, "bar"), 0, 16384, DaxMapping.Mode.READ_WRITE)) {
                    m.segment().set(ValueLayout.JAVA_BYTE, 10, (byte) 'M');
                    m.persist(0, 64);
                }
            }),
            new Op("set DAX flag A", fs -> fs.setFlags(ino(fs, "A"), io.daxfs.core.Attributes.FLAG_DAX)),
            new Op("mkfifo A/fifo", fs -> fs.create(ino(fs, "A"), "fifo", FileKind.FIFO.typeBits() | 0644, 0, 0, 0)),
            new Op("open+unlink A/foo", fs -> {
                long foo = ino(fs, "A/foo");
                fs.open(foo);
                fs.unlink(ino(fs, "A"), "foo");
            }),
            new Op("fsync bar", fs -> fs.fsync(ino(fs, "bar"), false)),
            new Op("255 bytes of 0xff: file name, xattr name, symlink target", 3, (fs, step) -> {
                switch (step) {
                    case 0 -> fs.create(ino(fs, "A"), FF_NAME, FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
                    case 1 -> fs.setxattr(ino(fs, "bar"), FF_NAME, "v".getBytes(), 0);
                    default -> fs.symlink(fs.rootIno(), Name.of("ff"), FF_NAME.toByteArray(), 0, 0);
                }
            }),
            new Op("chmod A/sub 6 times (its log spills out of its slot, compaction puts it back in one)", 6,
                    (fs, i) -> fs.chmod(ino(fs, "A/sub"), 0700 + i)),
            new Op("unlink bar, create A/new2 (it takes the slot bar's log had), write it", 3, (fs, step) -> {
                switch (step) {
                    case 0 -> fs.unlink(fs.rootIno(), "bar");
                    case 1 -> fs.create(ino(fs, "A"), "new2", FileKind.REGULAR.typeBits() | 0644, 0, 0, 0);
                    default -> write(fs, ino(fs, "A/new2"), 0, 4096, 'n');
                }
            }),
            new Op("400 small writes (compaction)", 400,
                    (fs, i) -> write(fs, ino(fs, "bar"), (i * 37L) % 8000, 16, (char) ('A' + i % 26))));

    /** The operations used for pairs and triples: the ones that interact most. */
    static final List<String> INTERACTING = List.of("create A/new", "overwrite A/foo", "append bar", "truncate bar 100",
            "link bar A/bar2", "unlink bar", "rename bar A/bar", "rename A/foo bar (replace)", "rename A/sub sub2",
            "exchange A/foo bar", "setxattr bar", "open+unlink A/foo", "punch bar", "map bar past EOF, store, persist",
            "O_TMPFILE in A, write, linkat A/tmp", "replace A/foo's 20000-byte xattr");

    static Op named(String name) {
        return ALL.stream().filter(op -> op.name().equals(name)).findFirst().orElseThrow();
    }

    static long ino(DaxFileSystem fs, String path) {
        long ino = fs.rootIno();
        for (String part : path.split("/")) {
            ino = fs.lookup(ino, part);
        }
        return ino;
    }

    /** The unnamed O_TMPFILE file an earlier step made: the linkable inode on the orphan list. */
    static long unnamed(DaxFileSystem fs) {
        for (int slot = 0; slot < io.daxfs.core.format.Layout.ORPHAN_SLOTS; slot++) {
            long ino = fs.volume().orphans().inodeAt(slot);
            if (ino != 0 && fs.volume().inode(ino).isLinkable()) {
                return ino;
            }
        }
        throw new AssertionError("no unnamed file");
    }

    static void write(DaxFileSystem fs, long ino, long offset, int length, char fill) {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) fill);
        fs.write(ino, offset, MemorySegment.ofArray(data));
    }
}
