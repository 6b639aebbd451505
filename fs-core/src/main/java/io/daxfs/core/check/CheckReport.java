package io.daxfs.core.check;

import io.daxfs.core.format.Superblock;
import java.util.List;

/**
 * What the {@link Checker} found: every {@link Problem}, in the order it met them, and
 * statistics of the image. {@link #clean()} is true when no problem is an error (notices are
 * what a crash leaves and mount recovers).
 */
public final class CheckReport {
    private final List<Problem> problems;
    private final Stats stats;
    private final Superblock superblock;
    private final Analysis analysis;

    /**
     * Counts of a checked image. Blocks are 4 KiB; data blocks are those mapped by files and
     * symlinks, log blocks the log pages of every inode; free is what neither uses.
     */
    public record Stats(long inodeCount, long inodesUsed, long files, long directories, long symlinks, long other,
            long totalDataBlocks, long dataBlocks, long logBlocks, long freeBlocks) {
        static final Stats NONE = new Stats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        public long usedBlocks() {
            return dataBlocks + logBlocks;
        }
    }

    CheckReport(List<Problem> problems, Stats stats, Superblock superblock, Analysis analysis) {
        this.problems = List.copyOf(problems);
        this.stats = stats;
        this.superblock = superblock;
        this.analysis = analysis;
    }

    public List<Problem> problems() {
        return problems;
    }

    public List<Problem> errors() {
        return problems.stream().filter(Problem::isError).toList();
    }

    public List<Problem> notices() {
        return problems.stream().filter(p -> !p.isError()).toList();
    }

    /** No errors (notices allowed). */
    public boolean clean() {
        return problems.stream().noneMatch(Problem::isError);
    }

    /** The check could not be completed (no usable superblock, unsupported format, checker failure). */
    public boolean fatal() {
        return problems.stream().anyMatch(p -> p.severity() == Problem.Severity.FATAL);
    }

    public boolean has(Problem.Kind kind) {
        return problems.stream().anyMatch(p -> p.kind() == kind);
    }

    public Stats stats() {
        return stats;
    }

    /** The superblock the check used (the primary, or the backup if the primary is unusable); null if none. */
    public Superblock superblock() {
        return superblock;
    }

    Analysis analysis() {
        return analysis;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Problem p : problems) {
            b.append(p).append('\n');
        }
        b.append(stats);
        return b.toString();
    }
}
