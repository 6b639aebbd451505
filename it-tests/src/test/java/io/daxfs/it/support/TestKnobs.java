package io.daxfs.it.support;

import java.util.Random;

/**
 * Sizes and seeds of the stress, fio and crash tests, overridable with system properties (the
 * {@code long} profile of it-tests/pom.xml sets them; see docs/TESTING.md). Every seed is printed, and
 * {@code -Ddaxfs.it.seed=N} replays a run.
 */
public final class TestKnobs {
    private TestKnobs() {}

    public static long longProp(String key, long defaultValue) {
        String v = System.getProperty(key);
        return v == null || v.isBlank() ? defaultValue : Long.parseLong(v.strip());
    }

    public static int intProp(String key, int defaultValue) {
        return (int) longProp(key, defaultValue);
    }

    /** {@code daxfs.it.seed} if set, else a fresh random seed; printed with {@code what}. */
    public static long seed(String what) {
        String v = System.getProperty("daxfs.it.seed");
        long seed = v == null || v.isBlank() ? new Random().nextLong() & Long.MAX_VALUE : Long.parseLong(v.strip());
        System.out.println("[" + what + "] seed " + seed + " (replay with -Ddaxfs.it.seed=" + seed + ")");
        return seed;
    }
}
