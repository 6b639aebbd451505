package io.daxfs.core.format;

/**
 * The device does not hold a daxfs image this code can use: damaged, of another format version or
 * with unknown features. Mount refuses it with this message; fsck may repair the damaged kinds.
 */
public final class CorruptImageException extends RuntimeException {
    private final boolean unsupported;

    public CorruptImageException(String message) {
        this(message, false);
    }

    /** @param unsupported true when the image is well-formed but of a version or feature set we do not know */
    public CorruptImageException(String message, boolean unsupported) {
        super(message);
        this.unsupported = unsupported;
    }

    public boolean unsupported() {
        return unsupported;
    }
}
