/*
 * null_ll.c - a do-nothing libfuse3 low-level filesystem for peers-bench.sh: a tree of names whose
 * files store no data (writes only grow the size, reads return zeros). The C ceiling of a FUSE
 * filesystem, beside the Java one (fuse-adapter's NullFileSystem on daxfs's own transport).
 * Build: gcc -O2 -o null_ll null_ll.c $(pkg-config fuse3 --cflags --libs)
 * Run:   null_ll -f MOUNTPOINT
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_NODES (1 << 20)

struct node {
	fuse_ino_t parent;
	char *name;
	mode_t mode;
	off_t size;
	int live;
};

static struct node *nodes;
static fuse_ino_t next_ino = 2;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char zeros[1 << 20];

static fuse_ino_t find(fuse_ino_t parent, const char *name)
{
	for (fuse_ino_t i = 2; i < next_ino; i++)
		if (nodes[i].live && nodes[i].parent == parent && strcmp(nodes[i].name, name) == 0)
			return i;
	return 0;
}

static void fill(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = nodes[ino].mode;
	st->st_nlink = S_ISDIR(nodes[ino].mode) ? 2 : 1;
	st->st_size = nodes[ino].size;
	st->st_blocks = (nodes[ino].size + 511) / 512;
	st->st_blksize = 4096;
}

static void reply_entry(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.generation = 1;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	fill(ino, &e.attr);
	if (fi)
		fuse_reply_create(req, &e, fi);
	else
		fuse_reply_entry(req, &e);
}

static void nl_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	pthread_mutex_lock(&lock);
	fuse_ino_t ino = find(parent, name);
	pthread_mutex_unlock(&lock);
	if (!ino)
		fuse_reply_err(req, ENOENT);
	else
		reply_entry(req, ino, NULL);
}

static void nl_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct stat st;
	if (ino >= next_ino || !nodes[ino].live) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill(ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void nl_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	if (to_set & FUSE_SET_ATTR_SIZE)
		nodes[ino].size = attr->st_size;
	nl_getattr(req, ino, fi);
}

static fuse_ino_t add(fuse_ino_t parent, const char *name, mode_t mode)
{
	pthread_mutex_lock(&lock);
	fuse_ino_t ino = find(parent, name) ? 0 : next_ino < MAX_NODES ? next_ino++ : 0;
	if (ino) {
		nodes[ino] = (struct node){parent, strdup(name), mode, 0, 1};
	}
	pthread_mutex_unlock(&lock);
	return ino;
}

static void nl_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_ino_t ino = add(parent, name, S_IFDIR | (mode & 07777));
	if (!ino)
		fuse_reply_err(req, EEXIST);
	else
		reply_entry(req, ino, NULL);
}

static void nl_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
	fuse_ino_t ino = add(parent, name, S_IFREG | (mode & 07777));
	if (!ino)
		fuse_reply_err(req, EEXIST);
	else
		reply_entry(req, ino, fi);
}

static void nl_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	pthread_mutex_lock(&lock);
	fuse_ino_t ino = find(parent, name);
	if (ino)
		nodes[ino].live = 0;
	pthread_mutex_unlock(&lock);
	fuse_reply_err(req, ino ? 0 : ENOENT);
}

static void nl_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_open(req, fi);
}

static void nl_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	off_t n = nodes[ino].size - off;
	if (n < 0)
		n = 0;
	if ((size_t)n > size)
		n = size;
	fuse_reply_buf(req, zeros, n);
}

static void nl_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)buf;
	(void)fi;
	pthread_mutex_lock(&lock);
	if (off + (off_t)size > nodes[ino].size)
		nodes[ino].size = off + size;
	pthread_mutex_unlock(&lock);
	fuse_reply_write(req, size);
}

static void nl_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	char *buf = calloc(1, size);
	size_t used = 0;
	struct stat st;
	for (fuse_ino_t i = off + 2; i < next_ino; i++) {
		if (!nodes[i].live || nodes[i].parent != ino)
			continue;
		fill(i, &st);
		size_t need = fuse_add_direntry(req, buf + used, size - used, nodes[i].name, &st, i - 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = nl_lookup,
	.getattr = nl_getattr,
	.setattr = nl_setattr,
	.mkdir = nl_mkdir,
	.create = nl_create,
	.unlink = nl_unlink,
	.rmdir = nl_unlink,
	.open = nl_open,
	.read = nl_read,
	.write = nl_write,
	.readdir = nl_readdir,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	int ret = 1;
	nodes = calloc(MAX_NODES, sizeof(*nodes));
	nodes[1] = (struct node){1, "", S_IFDIR | 0755, 0, 1};
	if (fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint) {
		fprintf(stderr, "usage: %s [-f] [-s] MOUNTPOINT\n", argv[0]);
		return 1;
	}
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (se && fuse_set_signal_handlers(se) == 0 && fuse_session_mount(se, opts.mountpoint) == 0) {
		if (opts.singlethread) {
			ret = fuse_session_loop(se);
		} else {
			struct fuse_loop_config config = {.clone_fd = 0, .max_idle_threads = 10};
			ret = fuse_session_loop_mt(se, &config);
		}
		fuse_session_unmount(se);
	}
	if (se)
		fuse_session_destroy(se);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
