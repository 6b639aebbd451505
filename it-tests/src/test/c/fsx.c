/*
 * fsx for daxfs: random operations on one file, each checked against an in-memory copy.
 *
 * Written for the daxfs integration tests in the spirit of xfstests' fsx (not derived from it).
 * Operations: read, write, truncate, fallocate (allocate, keep-size, punch-hole, zero-range with
 * and without keep-size), mmap read, mmap write (MAP_SHARED + msync(MS_SYNC)), fsync, close/reopen
 * and dropping the file's page cache. After every operation the size (fstat) and the whole file are
 * compared with the copy, through the ordinary descriptor (kernel page cache) and, unless -D, through
 * an O_DIRECT descriptor (every byte read from the filesystem daemon).
 *
 * The sequence depends only on the seed and the options, so a failure is reproduced by running again
 * with the printed seed. On a mismatch the last operations and the differing bytes are printed.
 *
 * usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxoplen] [-M] [-F] [-D] [-q] FILE
 *   -M  no mmap operations (for dax=always, where MAP_SHARED fails with ENODEV)
 *   -F  no fallocate operations
 *   -D  no O_DIRECT check descriptor
 * exit: 0 all checks passed, 1 a mismatch, 2 an operation failed unexpectedly, 3 usage
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

enum op {
    OP_READ, OP_WRITE, OP_MAPREAD, OP_MAPWRITE, OP_TRUNCATE, OP_FALLOC, OP_FSYNC, OP_CLOSEOPEN,
    OP_DROP, OP_COUNT
};
static const char *op_names[OP_COUNT] = {
    "read", "write", "mapread", "mapwrite", "truncate", "fallocate", "fsync", "closeopen", "drop"
};
/* Relative weights of the operations (mmap and fallocate ones are skipped when disabled). */
static const int op_weight[OP_COUNT] = {20, 24, 8, 8, 10, 14, 3, 2, 4};

struct record {
    long n;
    int op;
    int mode;
    long off, len;
    long size_before, size_after;
};

#define HISTORY 48
static struct record history[HISTORY];
static long steps;

static const char *path;
static int fd = -1, dfd = -1;
static unsigned char *good, *buf, *dbuf;
static long size;                   /* size of the model file */
static long maxlen = 256 * 1024, maxoplen = 64 * 1024;
static int use_mmap = 1, use_falloc = 1, use_direct = 1, quiet;
static long counts[OP_COUNT], falloc_counts[6];
static long pagesize;
static uint64_t rng, seed;

static uint64_t next_random(void) {    /* splitmix64: the whole sequence follows from the seed */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static long below(long n) { return n <= 0 ? 0 : (long) (next_random() % (uint64_t) n); }

static const char *falloc_name(int mode) {
    switch (mode) {
    case 0: return "alloc";
    case FALLOC_FL_KEEP_SIZE: return "alloc,keep_size";
    case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: return "punch_hole,keep_size";
    case FALLOC_FL_ZERO_RANGE: return "zero_range";
    case FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE: return "zero_range,keep_size";
    default: return "?";
    }
}

static void print_history(void) {
    long first = steps - HISTORY + 1 < 1 ? 1 : steps - HISTORY + 1;
    fprintf(stderr, "last operations (step op offset length [mode] size before -> after):\n");
    for (long s = first; s <= steps; s++) {
        struct record *r = &history[s % HISTORY];
        if (r->n != s) continue;
        fprintf(stderr, "  %7ld %-9s 0x%06lx 0x%05lx", r->n, op_names[r->op], r->off, r->len);
        if (r->op == OP_FALLOC) fprintf(stderr, " [%s]", falloc_name(r->mode));
        fprintf(stderr, " size 0x%lx -> 0x%lx\n", r->size_before, r->size_after);
    }
}

static void fail(int code, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "fsx: FAILED at step %ld: ", steps);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    print_history();
    fprintf(stderr, "fsx: reproduce with the same options and -S %" PRIu64 "\n", seed);
    exit(code);
}

static void die_errno(const char *what) {
    int e = errno;
    fail(2, "%s: %s (errno %d), seed %" PRIu64, what, strerror(e), e, seed);
}

static void open_file(void) {
    fd = open(path, O_RDWR);
    if (fd < 0) die_errno("open");
    if (use_direct) {
        dfd = open(path, O_RDONLY | O_DIRECT);
        if (dfd < 0) die_errno("open O_DIRECT");
    }
}

static void close_file(void) {
    if (close(fd) != 0) die_errno("close");
    if (dfd >= 0 && close(dfd) != 0) die_errno("close O_DIRECT");
    fd = dfd = -1;
}

static void report_mismatch(const char *how, const unsigned char *got, long off, long n) {
    long first = -1, last = -1, bad = 0;
    for (long i = 0; i < n; i++) {
        if (got[i] != good[off + i]) {
            if (first < 0) first = off + i;
            last = off + i;
            bad++;
        }
    }
    fprintf(stderr, "fsx: %s: %ld bytes differ in 0x%lx..0x%lx (file size 0x%lx)\n", how, bad, first, last, size);
    long from = first & ~15L;
    for (long row = from; row < from + 64 && row < off + n; row += 16) {
        fprintf(stderr, "  0x%06lx expected", row);
        for (long i = row; i < row + 16 && i < off + n; i++) fprintf(stderr, " %02x", good[i]);
        fprintf(stderr, "\n  0x%06lx actual  ", row);
        for (long i = row; i < row + 16 && i < off + n; i++) fprintf(stderr, " %02x", got[i - off]);
        fprintf(stderr, "\n");
    }
    fail(1, "%s differs from the model, seed %" PRIu64, how, seed);
}

/* Reads [off, off+len) through descriptor f, expecting exactly the model's bytes up to EOF. */
static void check_range(int f, unsigned char *into, long off, long len, const char *how) {
    long want = off >= size ? 0 : (off + len > size ? size - off : len);
    long done = 0;
    while (done < len) {
        ssize_t r = pread(f, into + done, len - done, off + done);
        if (r < 0) die_errno(how);
        if (r == 0) break;
        done += r;
    }
    if (done != want) fail(1, "%s at 0x%lx+0x%lx returned 0x%lx bytes, expected 0x%lx (size 0x%lx), seed %" PRIu64,
                           how, off, len, done, want, size, seed);
    if (memcmp(into, good + off, want) != 0) report_mismatch(how, into, off, want);
}

static void check_all(void) {
    struct stat st;
    if (fstat(fd, &st) != 0) die_errno("fstat");
    if (st.st_size != size) fail(1, "fstat size 0x%lx, expected 0x%lx, seed %" PRIu64, (long) st.st_size, size, seed);
    check_range(fd, buf, 0, maxlen, "read of the whole file");
    if (dfd >= 0) check_range(dfd, dbuf, 0, maxlen, "O_DIRECT read of the whole file");
}

static void model_resize(long newsize) {
    if (newsize > size) memset(good + size, 0, newsize - size);
    size = newsize;
}

static void fill(unsigned char *p, long len) {
    for (long i = 0; i < len; i += 8) {
        uint64_t r = next_random();
        for (int b = 0; b < 8 && i + b < len; b++) {
            unsigned char c = (unsigned char) (r >> (8 * b));
            p[i + b] = c == 0 ? 0xa5 : c; /* never 0, so zero-filled ranges stand out */
        }
    }
}

static void do_write(long off, long len) {
    fill(buf, len);
    long done = 0;
    while (done < len) {
        ssize_t r = pwrite(fd, buf + done, len - done, off + done);
        if (r <= 0) die_errno("pwrite");
        done += r;
    }
    if (off > size) model_resize(off);
    memcpy(good + off, buf, len);
    if (off + len > size) size = off + len;
}

static void do_mapwrite(long off, long len) {
    if (off + len > size) {
        if (ftruncate(fd, off + len) != 0) die_errno("ftruncate before mapwrite");
        model_resize(off + len);
    }
    long pg = off & ~(pagesize - 1);
    long maplen = off + len - pg;
    unsigned char *m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
    if (m == MAP_FAILED) die_errno("mmap for write");
    fill(buf, len);
    memcpy(m + (off - pg), buf, len);
    memcpy(good + off, buf, len);
    if (msync(m, maplen, MS_SYNC) != 0) die_errno("msync");
    if (munmap(m, maplen) != 0) die_errno("munmap");
}

static void do_mapread(long off, long len) {
    if (off + len > size) len = size - off;
    long pg = off & ~(pagesize - 1);
    long maplen = off + len - pg;
    unsigned char *m = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, pg);
    if (m == MAP_FAILED) die_errno("mmap for read");
    if (memcmp(m + (off - pg), good + off, len) != 0) {
        memcpy(buf, m + (off - pg), len);
        report_mismatch("mmap read", buf, off, len);
    }
    if (munmap(m, maplen) != 0) die_errno("munmap");
}

static const int falloc_modes[5] = {
    0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
    FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE
};

static void do_falloc(int mode, long off, long len) {
    if (fallocate(fd, mode, off, len) != 0) die_errno(falloc_name(mode));
    long end = off + len;
    int keep = mode & FALLOC_FL_KEEP_SIZE;
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
        long zend = end < size ? end : size;
        if (off < zend) memset(good + off, 0, zend - off);
    }
    if (!keep && end > size) model_resize(end);
}

static int pick_op(void) {
    int total = 0;
    for (int i = 0; i < OP_COUNT; i++) {
        if (!use_mmap && (i == OP_MAPREAD || i == OP_MAPWRITE)) continue;
        if (!use_falloc && i == OP_FALLOC) continue;
        total += op_weight[i];
    }
    long r = below(total);
    for (int i = 0; i < OP_COUNT; i++) {
        if (!use_mmap && (i == OP_MAPREAD || i == OP_MAPWRITE)) continue;
        if (!use_falloc && i == OP_FALLOC) continue;
        if (r < op_weight[i]) return i;
        r -= op_weight[i];
    }
    return OP_READ;
}

int main(int argc, char **argv) {
    long nops = 100000;
    int c;
    seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 20);
    while ((c = getopt(argc, argv, "N:S:l:o:MFDq")) != -1) {
        switch (c) {
        case 'N': nops = atol(optarg); break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'l': maxlen = atol(optarg); break;
        case 'o': maxoplen = atol(optarg); break;
        case 'M': use_mmap = 0; break;
        case 'F': use_falloc = 0; break;
        case 'D': use_direct = 0; break;
        case 'q': quiet = 1; break;
        default:
            fprintf(stderr, "usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxoplen] [-M] [-F] [-D] [-q] FILE\n");
            return 3;
        }
    }
    if (optind != argc - 1 || maxlen < 4096 || maxoplen < 1 || maxoplen > maxlen) {
        fprintf(stderr, "usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxoplen] [-M] [-F] [-D] [-q] FILE\n");
        return 3;
    }
    path = argv[optind];
    rng = seed;
    pagesize = sysconf(_SC_PAGESIZE);
    printf("fsx: seed %" PRIu64 ", %ld operations, file %s, maxlen %ld, maxoplen %ld, mmap %s, fallocate %s, O_DIRECT check %s\n",
           seed, nops, path, maxlen, maxoplen, use_mmap ? "on" : "off", use_falloc ? "on" : "off",
           use_direct ? "on" : "off");
    fflush(stdout);

    if (posix_memalign((void **) &buf, 4096, maxlen) || posix_memalign((void **) &dbuf, 4096, maxlen)
        || !(good = calloc(1, maxlen))) {
        fprintf(stderr, "fsx: out of memory\n");
        return 2;
    }
    int cfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (cfd < 0) die_errno("create");
    close(cfd);
    open_file();
    check_all();

    for (steps = 1; steps <= nops; steps++) {
        struct record *r = &history[steps % HISTORY];
        int op = pick_op();
        long off = below(maxlen), len = 1 + below(maxoplen);
        if (off + len > maxlen) len = maxlen - off;
        r->n = steps;
        r->op = op;
        r->mode = 0;
        r->size_before = size;
        if ((op == OP_READ || op == OP_MAPREAD) && size > 0) {
            off = below(size);
            if (off + len > size) len = size - off;
        }
        if (op == OP_TRUNCATE) {
            off = below(maxlen + 1);
            len = 0;
        } else if (op == OP_FSYNC || op == OP_CLOSEOPEN || op == OP_DROP) {
            off = len = 0;
        } else if (op == OP_FALLOC) {
            r->mode = falloc_modes[below(5)];
        }
        r->off = off;
        r->len = len;
        r->size_after = size;
        switch (op) {
        case OP_READ:
            if (size == 0) { len = 0; break; }
            check_range(fd, buf, off, len, "read");
            break;
        case OP_WRITE:
            do_write(off, len);
            break;
        case OP_MAPREAD:
            if (size == 0) { len = 0; break; }
            do_mapread(off, len);
            break;
        case OP_MAPWRITE:
            do_mapwrite(off, len);
            break;
        case OP_TRUNCATE:
            if (ftruncate(fd, off) != 0) die_errno("ftruncate");
            model_resize(off);
            break;
        case OP_FALLOC:
            for (int m = 0; m < 5; m++) if (falloc_modes[m] == r->mode) falloc_counts[m]++;
            do_falloc(r->mode, off, len);
            break;
        case OP_FSYNC:
            if (fsync(fd) != 0) die_errno("fsync");
            break;
        case OP_CLOSEOPEN:
            close_file();
            open_file();
            break;
        case OP_DROP:
            if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die_errno("fadvise DONTNEED");
            break;
        }
        r->off = off;
        r->len = len;
        r->size_after = size;
        counts[op]++;
        check_all();
        if (!quiet && steps % 10000 == 0) {
            printf("fsx: %ld operations done\n", steps);
            fflush(stdout);
        }
    }
    steps--;
    close_file();
    printf("fsx: PASSED %ld operations, seed %" PRIu64 ";", steps, seed);
    for (int i = 0; i < OP_COUNT; i++) printf(" %s %ld", op_names[i], counts[i]);
    printf("; fallocate modes:");
    for (int i = 0; i < 5; i++) printf(" %s %ld", falloc_name(falloc_modes[i]), falloc_counts[i]);
    printf("\n");
    return 0;
}
