package io.daxfs.core.model;

import static org.junit.jupiter.api.Assertions.fail;

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
}
