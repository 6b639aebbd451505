package io.daxfs.fuse.kernel.mount;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What to mount: where, the source and type shown in /proc/mounts ({@code fsname}, and
 * {@code fuse.SUBTYPE}, or plain {@code fuse} for an empty subtype), the FUSE options the kernel
 * enforces, and generic mount flags by their mount(8) names (nodev, nosuid, noexec, sync...).
 */
public record MountSpec(Path mountPoint, String fsname, String subtype, boolean readOnly, boolean allowOther,
        boolean defaultPermissions, int maxRead, List<String> flags) {
    public MountSpec {
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(fsname, "fsname");
        Objects.requireNonNull(subtype, "subtype");
        flags = List.copyOf(flags);
    }

    /** The filesystem type: {@code fuse.SUBTYPE}, or {@code fuse} when the subtype is empty. */
    public String type() {
        return subtype.isEmpty() ? "fuse" : "fuse." + subtype;
    }
}
