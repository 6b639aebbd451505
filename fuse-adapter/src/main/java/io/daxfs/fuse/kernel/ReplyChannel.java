package io.daxfs.fuse.kernel;

import io.daxfs.fuse.kernel.sys.ErrnoException;
import java.lang.foreign.MemorySegment;

/** Where replies go: writev of {@code count} iovecs to the FUSE device (or a test's buffer). */
@FunctionalInterface
public interface ReplyChannel {
    void writev(MemorySegment iov, int count) throws ErrnoException;
}
