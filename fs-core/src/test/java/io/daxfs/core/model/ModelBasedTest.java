package io.daxfs.core.model;

import static org.junit.jupiter.api.Assertions.fail;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.daxfs.core.MountOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Model-based random testing of fs-core (issue 3, point 9): long seeded random sequences of
 * operations on fs-core and on {@link FsModel}, compared after every step, with clean and crash
 * remounts in between and small devices that run out of space.
 *
 * <p>System properties: {@code daxfs.model.ops} (total operations, default 150 000),
 * {@code daxfs.model.opsPerSeed} (default 6 000), {@code daxfs.model.seed} (first seed, default 1),
 * {@code daxfs.model.seeds} (seeds to run; default: as many as the operation budget allows),
 * {@code daxfs.model.seconds} (time budget, default 35; the run stops starting new seeds after it).
 * A failure prints the seed, the step and the operations before it; rerun it with
 * {@code -Ddaxfs.model.seed=S -Ddaxfs.model.seeds=1 -Ddaxfs.model.ops=STEP}.
 */
class ModelBasedTest {
    @Test
    void randomOperationSequencesMatchTheModel() {
        long totalOps = Long.getLong("daxfs.model.ops", 150_000);
        long perSeed = Math.min(totalOps, Long.getLong("daxfs.model.opsPerSeed", 6_000));
        long firstSeed = Long.getLong("daxfs.model.seed", 1);
        long seeds = Long.getLong("daxfs.model.seeds", Long.MAX_VALUE);
        long budgetNs = Long.getLong("daxfs.model.seconds", totalOps > 150_000 ? Long.MAX_VALUE / 2_000_000_000L : 35)
                * 1_000_000_000L;
        long started = System.nanoTime();
        long ops = 0;
        long ran = 0;
        long enospc = 0;
        long clean = 0;
        long crash = 0;
        long checks = 0;
        List<String> failures = new ArrayList<>();
        for (long seed = firstSeed; ran < seeds && ops < totalOps && System.nanoTime() - started < budgetNs; seed++) {
            ModelRunner runner = new ModelRunner(seed);
            try {
                runner.run(Math.min(perSeed, totalOps - ops));
            } catch (ModelRunner.Mismatch m) {
                failures.add(m.getMessage());
                System.err.println(m.getMessage());
                if (m.getCause() != null) {
                    m.getCause().printStackTrace();
                }
            }
            ran++;
            ops += runner.step;
            enospc += runner.enospc;
            clean += runner.cleanRemounts;
            crash += runner.crashRemounts;
            checks += runner.fullChecks;
        }
        System.out.printf("model-based test: %d operations over %d seeds (from %d), %d ENOSPC, %d clean and %d crash "
                + "remounts, %d full-state comparisons, %.1f s, %d seeds failed%n", ops, ran, firstSeed, enospc, clean,
                crash, checks, (System.nanoTime() - started) / 1e9, failures.size());
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + ran + " seeds differ from the model; first:\n" + failures.getFirst());
        }
    }

    /**
     * The same with {@code index_cache=0} (issue 11 point 4): no inode not in use is held, so after
     * each garbage collection (forced every 100 steps; at least 3 seeds) every such inode is loaded again from its log,
     * clean and crash remounts included. Open, orphan, dirty and mapped inodes must survive it.
     */
    @Test
    void withATinyIndexCacheEveryInodeIsReloadedAndTheModelStillMatches() {
        long budgetNs = Long.getLong("daxfs.model.seconds", 35) * 1_000_000_000L / 2;
        long started = System.nanoTime();
        List<String> failures = new ArrayList<>();
        long ops = 0;
        long seeds = 0;
        long reloads = 0;
        for (long seed = 101; seeds < 3 || (ops < 40_000 && System.nanoTime() - started < budgetNs); seed++) {
            ModelRunner runner = new ModelRunner(seed,
                    MountOptions.defaults().withAtime(MountOptions.Atime.NOATIME).withIndexCacheBytes(0), 100);
            try {
                runner.run(2_000);
            } catch (ModelRunner.Mismatch m) {
                failures.add(m.getMessage());
                System.err.println(m.getMessage());
                if (m.getCause() != null) {
                    m.getCause().printStackTrace();
                }
            }
            ops += runner.step;
            reloads += runner.inodeLoads;
            seeds++;
        }
        System.out.printf("model-based test, index_cache=0: %d operations over %d seeds, %d inode loads%n", ops, seeds,
                reloads);
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + seeds + " seeds differ from the model; first:\n" + failures.getFirst());
        }
        assertTrue(reloads > ops / 10, "inodes were not dropped and reloaded: " + reloads + " loads in " + ops + " ops");
    }
}
