/* mdbench DIR NFILES create|stat|unlink: one metadata pass over NFILES empty files DIR/f0000000...,
 * printing its rate in operations per second.
 *   create: mkdir DIR, then open(O_CREAT|O_EXCL) + close each file
 *   stat:   stat each file
 *   unlink: unlink each file, then rmdir DIR
 * The passes are separate runs so that the caller can let the kernel's FUSE entry and attribute caches
 * expire between them (1 s by default in libfuse); otherwise stat and unlink would not reach the daemon.
 * A C loop rather than fio's filecreate engine, whose own overhead caps it far below tmpfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* One operation on path p; 0 on success. */
static int create_one(const char *p)
{
	int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
	return fd < 0 ? -1 : close(fd);
}

static int stat_one(const char *p)
{
	struct stat st;
	return stat(p, &st);
}

int main(int argc, char **argv)
{
	int (*op)(const char *);
	char p[4096];
	long n, i;
	double t0;

	if (argc != 4 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s DIR NFILES create|stat|unlink\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1], *phase = argv[3];
	if (!strcmp(phase, "create"))
		op = create_one;
	else if (!strcmp(phase, "stat"))
		op = stat_one;
	else if (!strcmp(phase, "unlink"))
		op = unlink;
	else {
		fprintf(stderr, "mdbench: unknown phase %s\n", phase);
		return 2;
	}
	if (op == create_one && mkdir(dir, 0755)) {
		perror(dir);
		return 1;
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/f%07ld", dir, i);
		if (op(p)) {
			perror(p);
			return 1;
		}
	}
	printf("%.0f\n", n / (now() - t0));
	if (op == unlink && rmdir(dir)) {
		perror(dir);
		return 1;
	}
	return 0;
}
