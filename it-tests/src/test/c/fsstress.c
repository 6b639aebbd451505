/*
 * fsstress for daxfs: several processes doing random metadata and data operations in one shared
 * tree for a while. Written for the daxfs integration tests in the spirit of xfstests' fsstress (not
 * derived from it).
 *
 * Names are drawn from a small pool, so processes collide: they create, rename over, link to and
 * delete each other's files and directories. Errors that a racing namespace explains (ENOENT, EEXIST,
 * ENOTEMPTY, EISDIR, ENOTDIR, EINVAL, ELOOP, EMLINK, EPERM for a link to a directory, ENODATA,
 * EXDEV, EBUSY, ENAMETOOLONG) and ENOSPC (a long run may fill the device; counted apart) are
 * expected; any other error (EIO, ENOTCONN, ENOSYS, EFAULT, ...) is printed and fails the run.
 *
 * usage: fsstress -d DIR [-p procs] [-t seconds] [-n maxops] [-S seed] [-v]
 * exit: 0 no unexpected error, 1 unexpected errors, 3 usage
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

enum op {
    OP_CREAT, OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_RENAME, OP_LINK, OP_SYMLINK, OP_WRITE, OP_TRUNCATE,
    OP_READ, OP_SETXATTR, OP_RMXATTR, OP_CHMOD, OP_FSYNC, OP_FALLOC, OP_READDIR, OP_STAT, OP_COUNT
};
static const char *op_names[OP_COUNT] = {
    "creat", "mkdir", "rmdir", "unlink", "rename", "link", "symlink", "write", "truncate", "read",
    "setxattr", "rmxattr", "chmod", "fsync", "fallocate", "readdir", "stat"
};
static const int op_weight[OP_COUNT] = {10, 6, 3, 6, 8, 4, 3, 15, 5, 8, 4, 2, 3, 2, 3, 4, 4};

static uint64_t rng;
static int verbose;
static long counts[OP_COUNT], ok_counts[OP_COUNT], expected_errors, unexpected, enospc;

static uint64_t next_random(void) {
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static long below(long n) { return n <= 0 ? 0 : (long) (next_random() % (uint64_t) n); }

/* A path of 1 to 3 components from a pool of 10 names, most of them short. */
static void random_path(char *out) {
    static const int depth_weights[3] = {5, 4, 2};
    long r = below(11), depth = r < depth_weights[0] ? 1 : r < depth_weights[0] + depth_weights[1] ? 2 : 3;
    out[0] = 0;
    for (long i = 0; i < depth; i++) {
        char comp[8];
        snprintf(comp, sizeof comp, "%s%c%ld", i ? "/" : "", "dfs"[below(3)], below(4));
        strcat(out, comp);
    }
}

static int expected_errno(int e) {
    switch (e) {
    case ENOENT: case EEXIST: case ENOTEMPTY: case EISDIR: case ENOTDIR: case EINVAL: case ELOOP:
    case EMLINK: case EPERM: case ENODATA: case EXDEV: case EBUSY: case ENAMETOOLONG:
        return 1;
    default:
        return 0;
    }
}

static void result(unsigned op, int rc, int child, const char *a, const char *b) {
    if (op >= OP_COUNT) return;
    counts[op]++;
    if (rc >= 0) {
        ok_counts[op]++;
        return;
    }
    int e = errno;
    if (e == ENOSPC) enospc++;
    if (expected_errno(e) || e == ENOSPC) {
        expected_errors++;
        if (verbose) fprintf(stderr, "[%d] %s %s %s: %s\n", child, op_names[op], a, b ? b : "", strerror(e));
        return;
    }
    unexpected++;
    if (unexpected <= 20) {
        fprintf(stderr, "fsstress[%d]: UNEXPECTED %s %s%s%s: %s (errno %d)\n", child, op_names[op], a,
                b ? " " : "", b ? b : "", strerror(e), e);
    }
}

static void fill(unsigned char *p, long len) {
    for (long i = 0; i < len; i += 8) {
        uint64_t r = next_random();
        for (int b = 0; b < 8 && i + b < len; b++) p[i + b] = (unsigned char) (r >> (8 * b));
    }
}

#define MAXIO (64 * 1024)
#define MAXSIZE (512 * 1024)
static unsigned char iobuf[MAXIO];

static int run_op(int op, int child) {
    char a[64], b[64];
    int rc = 0, fd;
    random_path(a);
    random_path(b);
    switch (op) {
    case OP_CREAT:
        fd = open(a, O_CREAT | O_WRONLY | (below(2) ? O_EXCL : 0), below(2) ? 0644 : 0600);
        if (fd >= 0) {
            long len = below(4) == 0 ? below(MAXIO) : 0;
            fill(iobuf, len);
            if (len > 0 && write(fd, iobuf, len) != len) rc = -1;
            int saved = errno;
            close(fd);
            errno = saved;
        } else {
            rc = -1;
        }
        break;
    case OP_MKDIR: rc = mkdir(a, below(2) ? 0755 : 0700); break;
    case OP_RMDIR: rc = rmdir(a); break;
    case OP_UNLINK: rc = unlink(a); break;
    case OP_RENAME: rc = rename(a, b); break;
    case OP_LINK: rc = link(a, b); break;
    case OP_SYMLINK: rc = symlink(b, a); break;
    case OP_WRITE:
        fd = open(a, O_WRONLY | (below(4) == 0 ? O_APPEND : 0));
        if (fd >= 0) {
            long len = 1 + below(MAXIO), off = below(MAXSIZE - len);
            fill(iobuf, len);
            ssize_t n = pwrite(fd, iobuf, len, off);
            if (n >= 0 && n < len) {
                /* A short write: the kernel sends a buffered write as several requests and the device
                   filled up between them. Writing the rest must then fail (ENOSPC) or succeed. */
                ssize_t m = pwrite(fd, iobuf + n, len - n, off + n);
                if (m < 0) rc = -1;
                else if (m != len - n) { rc = -1; errno = EIO; }
            } else if (n < 0) {
                rc = -1;
            }
            if (rc == 0 && below(8) == 0) rc = fdatasync(fd);
            int saved = errno;
            close(fd);
            errno = saved;
        } else {
            rc = -1;
        }
        break;
    case OP_TRUNCATE: rc = truncate(a, below(MAXSIZE)); break;
    case OP_READ:
        fd = open(a, O_RDONLY);
        if (fd >= 0) {
            ssize_t r;
            long total = 0;
            while ((r = read(fd, iobuf, MAXIO)) > 0) total += r;
            if (r < 0) rc = -1;
            int saved = errno;
            close(fd);
            errno = saved;
        } else {
            rc = -1;
        }
        break;
    case OP_SETXATTR: {
        char name[32], value[128];
        long len = below(sizeof value);
        snprintf(name, sizeof name, "user.k%ld", below(4));
        fill((unsigned char *) value, len);
        rc = setxattr(a, name, value, len, 0);
        break;
    }
    case OP_RMXATTR: {
        char name[32];
        snprintf(name, sizeof name, "user.k%ld", below(4));
        rc = removexattr(a, name);
        break;
    }
    case OP_CHMOD: rc = chmod(a, below(2) ? 0644 : 0755); break;
    case OP_FSYNC:
        fd = open(a, O_RDONLY);
        if (fd >= 0) {
            rc = fsync(fd);
            int saved = errno;
            close(fd);
            errno = saved;
        } else {
            rc = -1;
        }
        break;
    case OP_FALLOC:
        fd = open(a, O_WRONLY);
        if (fd >= 0) {
            long len = 1 + below(MAXIO), off = below(MAXSIZE - len);
            int mode = below(2) ? FALLOC_FL_KEEP_SIZE : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
            rc = fallocate(fd, mode, off, len);
            int saved = errno;
            close(fd);
            errno = saved;
        } else {
            rc = -1;
        }
        break;
    case OP_READDIR: {
        DIR *d = opendir(below(3) == 0 ? "." : a);
        if (!d) {
            rc = -1;
            break;
        }
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d)) != NULL) {
            struct stat st;
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW); /* may have gone meanwhile */
        }
        if (errno != 0) rc = -1;
        int saved = errno;
        closedir(d);
        errno = saved;
        break;
    }
    case OP_STAT: {
        struct stat st;
        rc = lstat(a, &st);
        break;
    }
    }
    result(op, rc, child, a, (op == OP_RENAME || op == OP_LINK || op == OP_SYMLINK) ? b : NULL);
    return rc;
}

static int pick_op(void) {
    int total = 0;
    for (int i = 0; i < OP_COUNT; i++) total += op_weight[i];
    long r = below(total);
    for (int i = 0; i < OP_COUNT; i++) {
        if (r < op_weight[i]) return i;
        r -= op_weight[i];
    }
    return OP_STAT;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int child_main(int child, uint64_t seed, double seconds, long maxops) {
    rng = seed * 1000003ULL + (uint64_t) child * 0x51ed27ULL + 1;
    double deadline = now() + seconds;
    long n = 0;
    while ((maxops <= 0 || n < maxops) && (n % 64 != 0 || now() < deadline)) {
        run_op(pick_op(), child);
        n++;
        if (unexpected > 100) break;
    }
    printf("fsstress[%d]: %ld operations, %ld expected errors (%ld ENOSPC), %ld unexpected errors;", child, n,
           expected_errors, enospc, unexpected);
    for (int i = 0; i < OP_COUNT; i++) printf(" %s %ld/%ld", op_names[i], ok_counts[i], counts[i]);
    printf("\n");
    fflush(stdout);
    return unexpected ? 1 : 0;
}

int main(int argc, char **argv) {
    const char *dir = NULL;
    int procs = 4, c;
    double seconds = 60;
    long maxops = 0;
    uint64_t seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 20);
    while ((c = getopt(argc, argv, "d:p:t:n:S:v")) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'p': procs = atoi(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'n': maxops = atol(optarg); break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'v': verbose = 1; break;
        default: dir = NULL; optind = argc + 1; break;
        }
    }
    if (!dir || optind != argc || procs < 1) {
        fprintf(stderr, "usage: fsstress -d DIR [-p procs] [-t seconds] [-n maxops] [-S seed] [-v]\n");
        return 3;
    }
    if (chdir(dir) != 0) {
        perror(dir);
        return 1;
    }
    umask(022);
    printf("fsstress: seed %" PRIu64 ", %d processes, %.0f s, directory %s\n", seed, procs, seconds, dir);
    fflush(stdout);
    pid_t pids[256];
    for (int i = 0; i < procs && i < 256; i++) {
        pids[i] = fork();
        if (pids[i] == 0) _exit(child_main(i, seed, seconds, maxops));
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
    }
    int failed = 0;
    for (int i = 0; i < procs && i < 256; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    printf("fsstress: %s (seed %" PRIu64 ")\n", failed ? "FAILED" : "PASSED", seed);
    return failed ? 1 : 0;
}
