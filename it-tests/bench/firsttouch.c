/*
 * firsttouch: the cost of a first write to fresh anonymous memory, in microseconds per 4 KiB page.
 *
 * peers-bench runs it before each target's sequential write. Where the VM's host takes back the
 * guest's free memory (free page reporting), a page that has come back costs a host fault on its
 * first touch: 4.7-12.8 us against 1.4 on this machine (docs/BENCHMARKS.md). A sequential write through the page cache needs a
 * fresh page per 4 KiB, so this figure tells a slow round of the machine from a slow filesystem.
 *
 * Usage: firsttouch MIB
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long mib = argc == 2 ? atol(argv[1]) : 0;
    if (mib <= 0 || mib > 4096) {
        fprintf(stderr, "usage: firsttouch MIB (1-4096)\n");
        return 2;
    }
    size_t bytes = (size_t) mib << 20;
    volatile char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("firsttouch: mmap");
        return 1;
    }
    double start = seconds();
    for (size_t i = 0; i < bytes; i += 4096) {
        p[i] = 1;
    }
    printf("%.2f\n", (seconds() - start) * 1e6 / (bytes / 4096));
    munmap((void *) p, bytes);
    return 0;
}
