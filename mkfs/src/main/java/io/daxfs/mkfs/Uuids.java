package io.daxfs.mkfs;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.regex.Pattern;

/** The {@code -U} argument: a UUID in canonical form, {@code random} (version 4) or {@code time} (version 1). */
final class Uuids {
    private static final Pattern CANONICAL =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** 100-ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01. */
    private static final long GREGORIAN_OFFSET = 0x01B21DD213814000L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Uuids() {}

    static UUID parse(String text) {
        if (text.equals("random")) {
            return UUID.randomUUID();
        }
        if (text.equals("time")) {
            return timeBased();
        }
        if (!CANONICAL.matcher(text).matches()) {
            throw new IllegalArgumentException("invalid UUID '" + text
                    + "' (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, random or time)");
        }
        return UUID.fromString(text);
    }

    /** A version 1 UUID from the current time, a random clock sequence and a random multicast node (RFC 4122 4.5). */
    static UUID timeBased() {
        java.time.Instant now = java.time.Instant.now();
        long ticks = now.getEpochSecond() * 10_000_000L + now.getNano() / 100 + GREGORIAN_OFFSET;
        long msb = (ticks & 0xFFFF_FFFFL) << 32          // time_low
                | ((ticks >>> 32) & 0xFFFFL) << 16       // time_mid
                | 0x1000L                                 // version 1
                | ((ticks >>> 48) & 0x0FFFL);             // time_hi
        long clockSeq = RANDOM.nextInt(1 << 14);
        long node = (RANDOM.nextLong() & 0xFFFF_FFFF_FFFFL) | 0x0100_0000_0000L;
        long lsb = (0x8000L | clockSeq) << 48 | node;
        return new UUID(msb, lsb);
    }
}
