package io.daxfs.core;

import java.time.Instant;

/**
 * A file time as stored (docs/FORMAT.md, "Log entries"): seconds since the epoch and nanoseconds,
 * within ext4's range, 1901-12-13T20:45:52Z to 2446-05-10T22:38:55.999999999Z. Inodes, stat and
 * utimens use it; {@link #clamped} brings any other time into the range as ext4 does.
 */
public record Timestamp(long seconds, int nanos) implements Comparable<Timestamp> {
    /** ext4's first second: -2^31. */
    public static final long MIN_SECONDS = -(1L << 31);
    /** ext4's last second: 2^34 - 2^31 - 1. */
    public static final long MAX_SECONDS = (1L << 34) - (1L << 31) - 1;
    public static final Timestamp EPOCH = new Timestamp(0, 0);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    public Timestamp {
        if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
            throw new IllegalArgumentException("seconds " + seconds + " outside " + MIN_SECONDS + ".." + MAX_SECONDS);
        }
        if (nanos < 0 || nanos >= NANOS_PER_SECOND) {
            throw new IllegalArgumentException("nanoseconds " + nanos + " outside 0..999999999");
        }
    }

    /** Whether {@code seconds} and {@code nanos} make a storable time (what a decoder checks). */
    public static boolean valid(long seconds, long nanos) {
        return seconds >= MIN_SECONDS && seconds <= MAX_SECONDS && nanos >= 0 && nanos < NANOS_PER_SECOND;
    }

    /** Whether {@code epochNanos} makes a storable time (a damaged entry's may be before 1901). */
    public static boolean validNanos(long epochNanos) {
        return valid(Math.floorDiv(epochNanos, NANOS_PER_SECOND), Math.floorMod(epochNanos, NANOS_PER_SECOND));
    }

    /** A clock reading in nanoseconds since the epoch (within range unless before 1901). */
    public static Timestamp ofNanos(long epochNanos) {
        return new Timestamp(Math.floorDiv(epochNanos, NANOS_PER_SECOND),
                (int) Math.floorMod(epochNanos, NANOS_PER_SECOND));
    }

    /**
     * Any time, brought into the range as ext4's timestamp_truncate does: seconds before the
     * first or after the last become that bound, with zero nanoseconds (so do the bounds
     * themselves); {@code nanos} must be 0..999999999.
     */
    public static Timestamp clamped(long seconds, long nanos) {
        if (nanos < 0 || nanos >= NANOS_PER_SECOND) {
            throw new IllegalArgumentException("nanoseconds " + nanos + " outside 0..999999999");
        }
        if (seconds <= MIN_SECONDS || seconds >= MAX_SECONDS) {
            return new Timestamp(seconds <= MIN_SECONDS ? MIN_SECONDS : MAX_SECONDS, 0);
        }
        return new Timestamp(seconds, (int) nanos);
    }

    /**
     * Nanoseconds since the epoch, saturated at the {@code long} range (1677–2262): for the
     * log entries whose time is a clock reading, and for arithmetic on recent times.
     */
    public long toNanosSaturated() {
        try {
            return Math.addExact(Math.multiplyExact(seconds, NANOS_PER_SECOND), nanos);
        } catch (ArithmeticException e) {
            return seconds < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * Whole seconds from this time's second to that of the clock reading {@code epochNanos}
     * (negative if the reading is earlier): how relatime ages an atime, as Linux compares
     * {@code tv_sec}, with no Timestamp made of the reading (reads check it on every read).
     */
    public long secondsUntil(long epochNanos) {
        return Math.floorDiv(epochNanos, NANOS_PER_SECOND) - seconds;
    }

    @Override
    public int compareTo(Timestamp other) {
        int c = Long.compare(seconds, other.seconds);
        return c != 0 ? c : Integer.compare(nanos, other.nanos);
    }

    /** ISO-8601, UTC. */
    @Override
    public String toString() {
        return Instant.ofEpochSecond(seconds, nanos).toString();
    }
}
