package io.daxfs.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A directory entry name or an extended attribute name: the bytes stored on the media, whatever
 * they are (a name need not be valid UTF-8). Immutable; equal, hashed and ordered by its bytes
 * (unsigned). Used by the DaxFileSystem API, the directory and xattr indexes and the log
 * entries. {@link #toString} decodes UTF-8 for messages and for callers that speak Strings.
 */
public final class Name implements Comparable<Name> {
    private final byte[] bytes;

    private Name(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The name made of a copy of {@code bytes}. */
    public static Name of(byte[] bytes) {
        return new Name(Objects.requireNonNull(bytes, "bytes").clone());
    }

    /** The name made of {@code text} encoded as UTF-8. */
    public static Name of(String text) {
        return new Name(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
    }

    /** The name made of {@code length} bytes of {@code segment} from {@code offset}. */
    public static Name of(MemorySegment segment, long offset, int length) {
        byte[] bytes = new byte[length];
        // MemorySegment.toArray looks its element type up by reflection on every call.
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        return new Name(bytes);
    }

    public int length() {
        return bytes.length;
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** A copy of the bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Copies the bytes into {@code dst} at {@code offset}. */
    public void copyTo(MemorySegment dst, long offset) {
        MemorySegment.copy(bytes, 0, dst, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    /** True if some byte is {@code b}. */
    public boolean contains(byte b) {
        for (byte x : bytes) {
            if (x == b) {
                return true;
            }
        }
        return false;
    }

    /** True for "." and "..". */
    public boolean isDotOrDotDot() {
        return (bytes.length == 1 && bytes[0] == '.') || (bytes.length == 2 && bytes[0] == '.' && bytes[1] == '.');
    }

    /**
     * False for a name no directory may hold and no kernel accepts in a listing (empty, "." or
     * "..", or containing '/' or NUL): such an entry in a crafted or damaged log is hidden from
     * readdir so that the rest of its directory stays readable (issue #13 point 9).
     */
    public boolean isListable() {
        return !isEmpty() && !isDotOrDotDot() && !contains((byte) '/') && !contains((byte) 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Name n && Arrays.equals(bytes, n.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** A 64-bit hash of the bytes (FNV-1a): equal names hash alike, distinct ones almost never. */
    public long hash64() {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    @Override
    public int compareTo(Name other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    /** The bytes decoded as UTF-8 (invalid bytes become U+FFFD): for display only. */
    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
