package io.daxfs.mkfs;

import java.util.Locale;

/** Sizes as operators write them: {@code 4096}, {@code 512K}, {@code 512M}, {@code 4G}, {@code 1T} (powers of 1024). */
final class Sizes {
    private Sizes() {}

    /**
     * Parses a byte count with an optional K, M, G, T, P or E suffix (either case, optionally
     * followed by "iB" or "B": {@code 4GiB}).
     *
     * @throws IllegalArgumentException naming the bad text
     */
    static long parse(String text) {
        String t = text.trim();
        String upper = t.toUpperCase(Locale.ROOT);
        if (upper.endsWith("IB")) {
            upper = upper.substring(0, upper.length() - 2);
        } else if (upper.endsWith("B") && upper.length() > 1 && !Character.isDigit(upper.charAt(upper.length() - 2))) {
            upper = upper.substring(0, upper.length() - 1);
        }
        int shift = 0;
        if (!upper.isEmpty()) {
            int at = "KMGTPE".indexOf(upper.charAt(upper.length() - 1));
            if (at >= 0) {
                shift = 10 * (at + 1);
                upper = upper.substring(0, upper.length() - 1);
            }
        }
        if (upper.isEmpty() || !upper.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("invalid size '" + text + "' (expected e.g. 4096, 512M, 4G, 1T)");
        }
        long value;
        try {
            value = Long.parseLong(upper);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        if (value == 0) {
            throw new IllegalArgumentException("size '" + text + "' is zero");
        }
        if (shift > 0 && value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        return value << shift;
    }

    /** A short human form: {@code 512 MiB}, {@code 1.5 GiB}, {@code 4096 B}. */
    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        if (unit == 0) {
            return bytes + " B";
        }
        return (value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.1f", value))
                + " " + units[unit];
    }
}
