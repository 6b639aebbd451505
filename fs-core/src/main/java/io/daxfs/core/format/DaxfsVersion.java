package io.daxfs.core.format;


/**
 * The daxfs release and the on-media format version it writes and reads: what every command's
 * {@code --version} prints (mkfs.daxfs, fsck.daxfs, daxfs, daxfs-info), so an operator can tell
 * which images a build accepts.
 */
public final class DaxfsVersion {
    private DaxfsVersion() {}

    /** The release from the jar manifest (Maven's project version), or "unknown" outside a jar. */
    public static String release() {
        String version = DaxfsVersion.class.getPackage().getImplementationVersion();
        return version == null ? "unknown" : version;
    }

    /** The {@code --version} line of {@code command}. */
    public static String line(String command) {
        return command + " (daxfs) " + release() + ", on-media format version " + Superblock.FORMAT_VERSION
                + " (writes and reads only this version)";
    }
}
