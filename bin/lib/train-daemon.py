#!/usr/bin/env python3
"""The daemon's AOT training workload (bin/package): what a user runs on a mount, enough times that
the JDK records method profiles of the request paths in the cache (JDK 25 AOT method profiling), so
the JIT compiles them early instead of after some 15,000 requests of a cold daemon.

Usage: train-daemon.py DIR   (DIR on the training mount; the script cleans up after itself)

Covers: create/stat/unlink of thousands of empty files, mkdir/readdir/rename/link/symlink/xattrs,
sequential 1 MiB writes and reads, random 4 KiB reads and writes, buffered and O_DIRECT (the
dax=always path), fsync and truncate."""
import os
import random
import sys

FILES = 20000
ROUNDS = 2
SEQ = 32 << 20
RAND_OPS = 20000


def metadata(d):
    names = [os.path.join(d, "f%05d" % i) for i in range(FILES)]
    for _ in range(ROUNDS):
        for n in names:
            os.close(os.open(n, os.O_CREAT | os.O_WRONLY, 0o644))
        for n in names:
            os.stat(n)
        os.listdir(d)
        with os.scandir(d) as it:
            for e in it:
                e.stat(follow_symlinks=False)
        for n in names:
            os.unlink(n)


def names_and_links(d):
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    for i in range(500):
        p = os.path.join(sub, "a%d" % i)
        with open(p, "wb") as f:
            f.write(b"data")
        os.link(p, p + ".l")
        os.symlink("a%d" % i, p + ".s")
        os.readlink(p + ".s")
        os.rename(p, p + ".r")
        os.chmod(p + ".r", 0o600)
        os.utime(p + ".r")
        os.setxattr(p + ".r", "user.k", b"v")
        os.getxattr(p + ".r", "user.k")
        os.listxattr(p + ".r")
        os.truncate(p + ".r", 8192)
    for e in os.listdir(sub):
        os.unlink(os.path.join(sub, e))
    os.rmdir(sub)
    os.statvfs(d)


def data(d, direct):
    flags = os.O_DIRECT if direct else 0
    path = os.path.join(d, "seq.direct" if direct else "seq")
    mib = bytearray(1 << 20)
    view = memoryview(_aligned(1 << 20)) if direct else memoryview(mib)
    for _ in range(ROUNDS):
        fd = os.open(path, os.O_CREAT | os.O_RDWR | flags, 0o644)
        try:
            for off in range(0, SEQ, 1 << 20):
                os.pwrite(fd, view, off)
            os.fsync(fd)
            for off in range(0, SEQ, 1 << 20):
                os.preadv(fd, [view], off)
            page = view[:4096]
            rng = random.Random(1)
            blocks = SEQ // 4096
            for i in range(RAND_OPS):
                off = rng.randrange(blocks) * 4096
                if i & 1:
                    os.pwrite(fd, page, off)
                else:
                    os.preadv(fd, [page], off)
        finally:
            os.close(fd)
    os.unlink(path)


def _aligned(size):
    import mmap
    return mmap.mmap(-1, size)  # page-aligned, as O_DIRECT wants


def main():
    d = os.path.join(sys.argv[1], "train")
    os.mkdir(d)
    metadata(d)
    names_and_links(d)
    data(d, direct=False)
    data(d, direct=True)
    os.rmdir(d)


if __name__ == "__main__":
    main()
