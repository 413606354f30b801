// SPDX-License-Identifier: MIT
/* The BPF backends: the maps of an object loaded in this process, or of a
 * program already running (found by walking its map ids). Maps are matched
 * by name; the kernel keeps BPF_OBJ_NAME_LEN - 1 characters of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pl_ctl_bpf.h"
#include "ctl_int.h"

struct bpf_ent {
	char name[BPF_OBJ_NAME_LEN];
	int fd;
	__u32 type;
	__u32 value_size;
	__u32 key_size;
};

struct bpf_priv {
	int owns_fds; /* 1: fds were opened by us (by id) and are closed with us */
	unsigned n;
	unsigned ncpus;
	struct bpf_ent ent[];
};

/* Is this map type per CPU? */
static int type_is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* The map called name (compared as the kernel stores it), or NULL. */
static const struct bpf_ent *bpf_find(struct pl_ctl *c, const char *name)
{
	struct bpf_priv *p = c->priv;

	for (unsigned i = 0; i < p->n; i++)
		if (!strncmp(p->ent[i].name, name, BPF_OBJ_NAME_LEN - 1))
			return &p->ent[i];
	return NULL;
}

/* A zeroed buffer for every CPU's copy of e's value. */
static char *percpu_buf(struct pl_ctl *c, const struct bpf_ent *e, size_t *stride)
{
	*stride = PL_CTL_PERCPU_STRIDE(e->value_size);
	return calloc(((struct bpf_priv *)c->priv)->ncpus, *stride);
}

/* Write one entry; per-CPU maps get the value on every CPU. */
static int bpf_be_update(struct pl_ctl *c, const char *table, const void *key, const void *val)
{
	struct bpf_priv *p = c->priv;
	const struct bpf_ent *e = bpf_find(c, table);
	size_t stride;
	char *buf;
	int err;

	if (!e)
		return -ESRCH;
	if (!type_is_percpu(e->type))
		return bpf_map_update_elem(e->fd, key, val, BPF_ANY) ? -errno : 0;
	buf = percpu_buf(c, e, &stride);
	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < p->ncpus; i++)
		memcpy(buf + i * stride, val, e->value_size);
	err = bpf_map_update_elem(e->fd, key, buf, BPF_ANY) ? -errno : 0;
	free(buf);
	return err;
}

/* Read one entry (per-CPU maps: CPU 0's copy). */
static int bpf_be_lookup(struct pl_ctl *c, const char *table, const void *key, void *val)
{
	const struct bpf_ent *e = bpf_find(c, table);
	size_t stride;
	char *buf;
	int err;

	if (!e)
		return -ESRCH;
	if (!type_is_percpu(e->type))
		return bpf_map_lookup_elem(e->fd, key, val) ? -errno : 0;
	buf = percpu_buf(c, e, &stride);
	if (!buf)
		return -ENOMEM;
	err = bpf_map_lookup_elem(e->fd, key, buf) ? -errno : 0;
	if (!err)
		memcpy(val, buf, e->value_size);
	free(buf);
	return err;
}

/* Read every CPU's copy (shared maps: the one value, as a single copy). */
static int bpf_be_lookup_percpu(struct pl_ctl *c, const char *table, const void *key, void *vals)
{
	const struct bpf_ent *e = bpf_find(c, table);

	if (!e)
		return -ESRCH;
	return bpf_map_lookup_elem(e->fd, key, vals) ? -errno : 0;
}

/* Remove one entry. */
static int bpf_be_remove(struct pl_ctl *c, const char *table, const void *key)
{
	const struct bpf_ent *e = bpf_find(c, table);

	if (!e)
		return -ESRCH;
	return bpf_map_delete_elem(e->fd, key) ? -errno : 0;
}

/* Iterate keys (key NULL: the first). */
static int bpf_be_next_key(struct pl_ctl *c, const char *table, const void *key, void *next)
{
	const struct bpf_ent *e = bpf_find(c, table);

	if (!e)
		return -ESRCH;
	return bpf_map_get_next_key(e->fd, key, next) ? -errno : 0;
}

/* Every key, then every CPU's copy of its value (shared maps: one). */
static int bpf_be_walk(struct pl_ctl *c, const char *table, pl_ctl_walk_fn fn, void *arg)
{
	struct bpf_priv *p = c->priv;
	const struct bpf_ent *e = bpf_find(c, table);
	unsigned n;
	size_t stride;
	char *buf, *key, *next;
	int err = 0, first = 1;

	if (!e)
		return -ESRCH;
	n = type_is_percpu(e->type) ? p->ncpus : 1;
	buf = percpu_buf(c, e, &stride);
	key = calloc(2, e->key_size);
	if (!buf || !key) {
		free(buf);
		free(key);
		return -ENOMEM;
	}
	next = key + e->key_size;
	while (!err) {
		if (bpf_map_get_next_key(e->fd, first ? NULL : key, next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		first = 0;
		memcpy(key, next, e->key_size);
		if (bpf_map_lookup_elem(e->fd, key, buf))
			continue; /* evicted meanwhile */
		for (unsigned i = 0; i < n && !err; i++)
			err = fn(key, buf + i * stride, arg);
	}
	free(buf);
	free(key);
	return err;
}

/* Possible CPUs: the number of copies of every per-CPU value. */
static unsigned bpf_be_ncopies(struct pl_ctl *c)
{
	return ((struct bpf_priv *)c->priv)->ncpus;
}

/* Close the fds we opened ourselves. */
static void bpf_be_close(struct pl_ctl *c)
{
	struct bpf_priv *p = c->priv;

	if (!p)
		return;
	if (p->owns_fds)
		for (unsigned i = 0; i < p->n; i++)
			close(p->ent[i].fd);
	free(p);
}

/* An RCU grace period: XDP programs (and BPF_PROG_TEST_RUN) run inside RCU
 * read-side sections, and MEMBARRIER_CMD_GLOBAL is synchronize_rcu(). When
 * the kernel refuses it (nohz_full), sleep far longer than any frame. */
static int bpf_be_sync(struct pl_ctl *c)
{
	(void)c;
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return 0;
	usleep(20000);
	return 0;
}

static const struct pl_ctl_ops bpf_ops = {
	.sync = bpf_be_sync,
	.name = "bpf",
	.update = bpf_be_update,
	.lookup = bpf_be_lookup,
	.lookup_percpu = bpf_be_lookup_percpu,
	.remove = bpf_be_remove,
	.next_key = bpf_be_next_key,
	.walk = bpf_be_walk,
	.ncopies = bpf_be_ncopies,
	.close = bpf_be_close,
};

/* A private part with room for n maps. */
static struct bpf_priv *priv_alloc(unsigned n, int owns_fds)
{
	struct bpf_priv *p = calloc(1, sizeof(*p) + n * sizeof(struct bpf_ent));
	int ncpus = libbpf_num_possible_cpus();

	if (!p)
		return NULL;
	p->owns_fds = owns_fds;
	p->ncpus = ncpus > 0 ? (unsigned)ncpus : 1;
	return p;
}

/* The maps of an object loaded in this process (the object keeps the fds:
 * close this handle before bpf_object__close). NULL with errno set. */
struct pl_ctl *pl_ctl_open_bpf_obj(struct bpf_object *obj)
{
	struct bpf_priv *p;
	struct bpf_map *m;
	struct pl_ctl *c;
	unsigned n = 0;

	if (!obj) {
		errno = EINVAL;
		return NULL;
	}
	bpf_object__for_each_map(m, obj)
		n++;
	p = priv_alloc(n, 0);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	bpf_object__for_each_map(m, obj) {
		struct bpf_ent *e = &p->ent[p->n];

		e->fd = bpf_map__fd(m);
		if (e->fd < 0)
			continue; /* not loaded (or not created): unreachable */
		snprintf(e->name, sizeof(e->name), "%s", bpf_map__name(m));
		e->type = bpf_map__type(m);
		e->value_size = bpf_map__value_size(m);
		e->key_size = bpf_map__key_size(m);
		p->n++;
	}
	if (!p->n) {
		free(p);
		errno = ENOENT; /* the object is not loaded */
		return NULL;
	}
	c = pl_ctl_alloc(&bpf_ops, p);
	if (!c) {
		free(p);
		errno = ENOMEM;
	}
	return c;
}

/* The maps of a running program, by its id. NULL with errno set. */
struct pl_ctl *pl_ctl_open_bpf_prog(uint32_t prog_id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info), nmaps, *ids = NULL;
	struct bpf_priv *p = NULL;
	struct pl_ctl *c;
	int pfd, err;

	pfd = bpf_prog_get_fd_by_id(prog_id);
	if (pfd < 0)
		return NULL; /* errno: ENOENT (no such program) or EPERM */
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(pfd, &info, &len))
		goto err_close_prog;
	nmaps = info.nr_map_ids;
	ids = calloc(nmaps ? nmaps : 1, sizeof(*ids));
	if (!ids) {
		errno = ENOMEM;
		goto err_close_prog;
	}
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = nmaps;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(pfd, &info, &len))
		goto err_free_ids;
	if (info.nr_map_ids < nmaps)
		nmaps = info.nr_map_ids;
	p = priv_alloc(nmaps, 1);
	if (!p) {
		errno = ENOMEM;
		goto err_free_ids;
	}
	for (__u32 i = 0; i < nmaps; i++) {
		struct bpf_ent *e = &p->ent[p->n];
		struct bpf_map_info mi;
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			goto err_free_priv;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			close(fd);
			goto err_free_priv;
		}
		e->fd = fd;
		snprintf(e->name, sizeof(e->name), "%s", mi.name);
		e->type = mi.type;
		e->value_size = mi.value_size;
		e->key_size = mi.key_size;
		p->n++;
	}
	c = pl_ctl_alloc(&bpf_ops, p);
	if (!c) {
		errno = ENOMEM;
		goto err_free_priv;
	}
	free(ids);
	close(pfd);
	return c;

err_free_priv:
	err = errno;
	for (unsigned i = 0; i < p->n; i++)
		close(p->ent[i].fd);
	free(p);
	errno = err;
err_free_ids:
	err = errno;
	free(ids);
	errno = err;
err_close_prog:
	err = errno;
	close(pfd);
	errno = err;
	return NULL;
}

/* Set a u32 rodata global of obj before load (see pl_ctl_bpf.h). */
int pl_ctl_bpf_set_rodata_u32(struct bpf_object *obj, const char *var, uint32_t val)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *m;
	int id;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (unsigned i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		bpf_object__for_each_map(m, obj) {
			size_t size, nl = strlen(bpf_map__name(m));
			const void *init;
			char *data;
			int err;

			if (!bpf_map__is_internal(m) || nl < 7 || strcmp(bpf_map__name(m) + nl - 7, ".rodata"))
				continue;
			init = bpf_map__initial_value(m, &size);
			if (!init || vs->size != sizeof(val) || vs->offset + sizeof(val) > size)
				return -EINVAL;
			data = malloc(size);
			if (!data)
				return -ENOMEM;
			memcpy(data, init, size);
			memcpy(data + vs->offset, &val, sizeof(val));
			err = bpf_map__set_initial_value(m, data, size);
			free(data);
			return err;
		}
	}
	return -ENOENT;
}


/* The first map of a type among a program's maps (see pl_ctl_bpf.h). */
int pl_ctl_bpf_prog_map_by_type(int prog_fd, uint32_t type, struct bpf_map_info *info)
{
	__u32 len = sizeof(struct bpf_prog_info), n, *ids;
	struct bpf_prog_info pi;
	int ret = -ENOENT;

	/* as many map ids as the program has (the core's program uses dozens) */
	memset(&pi, 0, sizeof(pi));
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len))
		return -errno;
	n = pi.nr_map_ids;
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	memset(&pi, 0, sizeof(pi));
	len = sizeof(pi);
	pi.nr_map_ids = n;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len)) {
		ret = -errno;
		goto out;
	}
	for (__u32 i = 0; i < pi.nr_map_ids && i < n; i++) {
		struct bpf_map_info mi;
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) && mi.type == type) {
			if (info)
				*info = mi;
			ret = fd;
			goto out;
		}
		close(fd);
	}
out:
	free(ids);
	return ret;
}

/* Check a pin directory (see pl_ctl_bpf.h). */
int pl_ctl_bpf_pin_dir_check(const char *dir, struct pl_err *err)
{
	struct stat st;
	int ret;

	if (lstat(dir, &st)) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "pin directory %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err->msg, sizeof(err->msg),
			 "pin directory %s is a %s, not a directory: refusing to pin through it "
			 "(check who made it, remove it: rm %s, and run again)",
			 dir, S_ISLNK(st.st_mode) ? "symbolic link" : "file", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err->msg, sizeof(err->msg),
			 "pin directory %s belongs to uid %u, not to uid %u: another user could unpin "
			 "what is pinned there (check who made it, remove it: rm -r %s, and run again; "
			 "mount bpffs with -o mode=0700)",
			 dir, (unsigned)st.st_uid, (unsigned)geteuid(), dir);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700) {
		snprintf(err->msg, sizeof(err->msg),
			 "pin directory %s has mode %04o, want 0700: other users could unpin what is "
			 "pinned there (chmod 0700 %s, or remove it and run again)",
			 dir, (unsigned)(st.st_mode & 07777), dir);
		return -EPERM;
	}
	return 0;
}

/* Make and check a pin directory (see pl_ctl_bpf.h). */
int pl_ctl_bpf_pin_dir(const char *dir, struct pl_err *err)
{
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot create pin directory %s: %s%s", dir,
			 strerror(-ret),
			 ret == -ENOENT ? " (no bpffs mounted: mount -t bpf -o mode=0700 bpf /sys/fs/bpf)"
					: "");
		return ret;
	}
	return pl_ctl_bpf_pin_dir_check(dir, err);
}
