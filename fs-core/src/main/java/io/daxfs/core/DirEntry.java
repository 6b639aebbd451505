package io.daxfs.core;

/**
 * One name in a directory listing.
 *
 * @param cookie position of this entry; a listing resumed after it continues behind it, even when
 *     the directory changed in between
 */
public record DirEntry(String name, long ino, FileKind kind, long cookie) {}
