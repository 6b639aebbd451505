package io.daxfs.core.log;

/** A log page or entry on the media is not what the format says: a checksum, length or link is off. */
public final class LogCorruptException extends RuntimeException {
    public LogCorruptException(String message) {
        super(message);
    }
}
