package io.daxfs.core;

/**
 * One name in a directory listing ({@code name} as stored: any bytes but '/' and NUL).
 *
 * @param cookie position of this entry; a listing resumed after it continues behind it, even when
 *     the directory changed in between
 */
public record DirEntry(Name name, long ino, FileKind kind, long cookie) {}
