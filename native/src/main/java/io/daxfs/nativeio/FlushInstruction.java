package io.daxfs.nativeio;

/** The cache-line write-back instruction the native library chose by CPUID, best first. */
public enum FlushInstruction {
    /** Writes the line back and may keep it cached; weakly ordered (needs sfence). */
    CLWB,
    /** Writes back and evicts; weakly ordered (needs sfence). */
    CLFLUSHOPT,
    /** Writes back and evicts; serialising, slow. Every x86-64 CPU has it. */
    CLFLUSH;

    static FlushInstruction fromCode(int code) {
        return switch (code) {
            case 3 -> CLWB;
            case 2 -> CLFLUSHOPT;
            case 1 -> CLFLUSH;
            default -> throw new IllegalStateException("libdaxfs reported unknown flush instruction " + code);
        };
    }

    /** Lower-case mnemonic, for logs. */
    public String mnemonic() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
