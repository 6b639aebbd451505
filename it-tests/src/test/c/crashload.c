/*
 * crashload for daxfs: a seeded metadata and data workload that logs every operation, for the crash
 * tests on the mount. The daemon is killed while it runs; the process itself survives, sees the mount
 * go (ENOTCONN / ECONNABORTED; ECANCELED for a request that was on its way to a killed daemon's
 * io_uring queue) and stops. Its log, kept outside the mount, tells the checker what was
 * acknowledged:
 *
 *   B <seq> <op> <args...>   written before the operation starts
 *   E <seq> <errno>          written after it returned (0: success)
 *
 * Operations (paths relative to DIR of one or two names from a small pool; renames of directories
 * make deeper ones):
 *   mkdir P MODE | rmdir P | creat P MODE | write P OFF LEN DATASEED | trunc P LEN | fsync P
 *   rename A B | link A B | unlink P | symlink TARGET P | setxattr P NAME VALSEED VLEN
 *   rmxattr P NAME | chmod P MODE
 * write is open(O_WRONLY) + pwrite (continued after a short write) + close, fsync is open(O_RDONLY) + fsync + close; the bytes
 * written and xattr values are functions of their seeds (see pattern_byte and xattr_char, repeated
 * by the Java checker). Symlink targets are dangling absolute paths, so no path resolves through one.
 *
 * usage: crashload -d DIR -l LOG [-S seed] [-n maxops]
 * exit: 0 maxops done, 3 the mount went away (the expected end), 1 an unexpected error, 2 usage
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

static uint64_t rng;
static int logfd;
static long seq;

/* The daemon is gone: its mount says so (ENOTCONN, ECONNABORTED), or io_uring cancelled the request. */
static int mount_gone(int e) { return e == ENOTCONN || e == ECONNABORTED || e == ECANCELED; }

static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t next_random(void) { return mix(rng += 0x9e3779b97f4a7c15ULL); }

static long below(long n) { return n <= 0 ? 0 : (long) (next_random() % (uint64_t) n); }

/* Byte i of the data written with seed s. */
static unsigned char pattern_byte(uint64_t s, uint64_t i) {
    return (unsigned char) (mix(s + (i >> 3) * 0x9e3779b97f4a7c15ULL) >> (8 * (i & 7)));
}

/* Character i of the xattr value made with seed s: a lower-case letter. */
static char xattr_char(uint64_t s, uint64_t i) { return (char) ('a' + mix(s ^ (i * 0x632be59bd9b4e019ULL)) % 26); }

static void logline(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n <= 0 || n >= (int) sizeof line || write(logfd, line, n) != n) {
        perror("crashload: log");
        exit(1);
    }
}

static void random_path(char *out) {
    static const char *names[] = {"a", "b", "c", "d", "e", "f"};
    if (below(3) == 0) {
        sprintf(out, "%s/%s", names[below(6)], names[below(6)]);
    } else {
        sprintf(out, "%s", names[below(6)]);
    }
}

static int expected_errno(int e) {
    switch (e) {
    case ENOENT: case EEXIST: case ENOTEMPTY: case EISDIR: case ENOTDIR: case EINVAL: case ELOOP:
    case EMLINK: case EPERM: case ENODATA:
        return 1;
    default:
        return 0;
    }
}

static const int modes[] = {0600, 0644, 0640, 0700, 0755};

#define MAXIO (64 * 1024)
#define MAXSIZE (256 * 1024)
static unsigned char iobuf[MAXIO];

/* Runs one operation, logging it; returns its errno (0 on success). */
static int one_op(void) {
    char a[32], b[32];
    random_path(a);
    random_path(b);
    int kind = (int) below(100), rc, fd;
    long s = ++seq;
    errno = 0;
    if (kind < 10) {
        int mode = modes[below(5)];
        logline("B %ld mkdir %s %o\n", s, a, mode);
        rc = mkdir(a, mode);
    } else if (kind < 15) {
        logline("B %ld rmdir %s\n", s, a);
        rc = rmdir(a);
    } else if (kind < 27) {
        int mode = modes[below(3)];
        logline("B %ld creat %s %o\n", s, a, mode);
        fd = open(a, O_CREAT | O_EXCL | O_WRONLY, mode);
        rc = fd < 0 ? -1 : close(fd);
    } else if (kind < 47) {
        long len = 1 + below(MAXIO), off = below(MAXSIZE - len);
        uint64_t ds = next_random() >> 1;
        logline("B %ld write %s %ld %ld %" PRIu64 "\n", s, a, off, len, ds);
        for (long i = 0; i < len; i++) iobuf[i] = pattern_byte(ds, (uint64_t) i);
        fd = open(a, O_WRONLY);
        if (fd < 0) {
            rc = -1;
        } else {
            /* A short write (the kernel sends an unaligned buffered write as several requests, and
             * the mount may go between them) is continued, as a careful program would. */
            long done = 0;
            ssize_t w = 0;
            while (done < len && (w = pwrite(fd, iobuf + done, len - done, off + done)) > 0) done += w;
            int saved = errno;
            close(fd);
            errno = saved;
            rc = done == len ? 0 : -1;
            if (rc < 0 && w == 0) errno = EIO;
        }
    } else if (kind < 53) {
        long len = below(MAXSIZE);
        logline("B %ld trunc %s %ld\n", s, a, len);
        rc = truncate(a, len);
    } else if (kind < 63) {
        logline("B %ld fsync %s\n", s, a);
        fd = open(a, O_RDONLY);
        if (fd < 0) {
            rc = -1;
        } else {
            rc = fsync(fd);
            int saved = errno;
            close(fd);
            errno = saved;
        }
    } else if (kind < 73) {
        logline("B %ld rename %s %s\n", s, a, b);
        rc = rename(a, b);
    } else if (kind < 78) {
        logline("B %ld link %s %s\n", s, a, b);
        rc = link(a, b);
    } else if (kind < 86) {
        logline("B %ld unlink %s\n", s, a);
        rc = unlink(a);
    } else if (kind < 89) {
        char target[48];
        sprintf(target, "/daxfs-nonexistent/t%ld", below(1000));
        logline("B %ld symlink %s %s\n", s, target, a);
        rc = symlink(target, a);
    } else if (kind < 94) {
        char name[16], value[64];
        uint64_t vs = next_random() >> 1;
        long vlen = 1 + below(sizeof value);
        sprintf(name, "user.x%ld", below(3));
        for (long i = 0; i < vlen; i++) value[i] = xattr_char(vs, (uint64_t) i);
        logline("B %ld setxattr %s %s %" PRIu64 " %ld\n", s, a, name, vs, vlen);
        rc = setxattr(a, name, value, vlen, 0);
    } else if (kind < 96) {
        char name[16];
        sprintf(name, "user.x%ld", below(3));
        logline("B %ld rmxattr %s %s\n", s, a, name);
        rc = removexattr(a, name);
    } else {
        int mode = modes[below(5)];
        logline("B %ld chmod %s %o\n", s, a, mode);
        rc = chmod(a, mode);
    }
    int e = rc < 0 ? errno : 0;
    logline("E %ld %d\n", s, e);
    return e;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *log = NULL;
    long maxops = 0;
    uint64_t seed = 1;
    int c;
    while ((c = getopt(argc, argv, "d:l:S:n:")) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'l': log = optarg; break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'n': maxops = atol(optarg); break;
        default: return 2;
        }
    }
    if (!dir || !log || optind != argc) {
        fprintf(stderr, "usage: crashload -d DIR -l LOG [-S seed] [-n maxops]\n");
        return 2;
    }
    logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (logfd < 0) {
        perror(log);
        return 1;
    }
    if (chdir(dir) != 0) {
        perror(dir);
        return mount_gone(errno) ? 3 : 1;
    }
    umask(0);
    rng = seed;
    for (long n = 0; maxops <= 0 || n < maxops; n++) {
        int e = one_op();
        if (mount_gone(e)) return 3;
        if (e != 0 && !expected_errno(e)) {
            fprintf(stderr, "crashload: operation %ld failed unexpectedly: %s (errno %d); see %s\n", seq,
                    strerror(e), e, log);
            return 1;
        }
    }
    return 0;
}
