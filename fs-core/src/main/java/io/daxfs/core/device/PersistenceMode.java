package io.daxfs.core.device;

import java.util.Locale;

/** How stores reach the persistence domain: the {@code flush=} option of mkfs and mount. */
public enum PersistenceMode {
    /** Real pmem with ADR: cache-line write-back ({@code clwb}…) and {@code sfence}. */
    CPU,
    /** A file on an ordinary disk emulating pmem: {@code msync} of the range. */
    MSYNC,
    /** Volatile memory or eADR platforms: no flushing at all, only ordering. */
    NONE,
    /** Pick from what the path is; resolved when the device opens. */
    AUTO;

    /** Parses an option value ({@code cpu}, {@code msync}, {@code none}, {@code auto}). */
    public static PersistenceMode parse(String value) {
        for (PersistenceMode mode : values()) {
            if (mode.optionName().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(
                "flush=" + value + " is not one of auto, cpu, msync, none");
    }

    /** The spelling used in options. */
    public String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
