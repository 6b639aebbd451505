package io.daxfs.core;

import java.util.Objects;
import java.util.UUID;

/**
 * What mkfs decides about a new filesystem.
 *
 * @param inodeCount inodes in the table, 0 for the default (one per 4 KiB block of device)
 * @param rootUid owner of the root directory
 * @param rootGid group of the root directory
 */
public record FormatOptions(String label, UUID uuid, long inodeCount, int rootUid, int rootGid) {
    public FormatOptions {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(uuid, "uuid");
        if (inodeCount < 0) {
            throw new IllegalArgumentException("inode count must be >= 0: " + inodeCount);
        }
    }

    /** No label, a random UUID, default inode count, root owned by root. */
    public static FormatOptions defaults() {
        return new FormatOptions("", UUID.randomUUID(), 0, 0, 0);
    }

    public FormatOptions withLabel(String newLabel) {
        return new FormatOptions(newLabel, uuid, inodeCount, rootUid, rootGid);
    }

    public FormatOptions withUuid(UUID newUuid) {
        return new FormatOptions(label, newUuid, inodeCount, rootUid, rootGid);
    }

    public FormatOptions withInodeCount(long count) {
        return new FormatOptions(label, uuid, count, rootUid, rootGid);
    }

    public FormatOptions withRootOwner(int uid, int gid) {
        return new FormatOptions(label, uuid, inodeCount, uid, gid);
    }
}
