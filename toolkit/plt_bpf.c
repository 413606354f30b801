// SPDX-License-Identifier: MIT
/* plt_bpf: find, open, configure and load BPF objects; bpffs pins. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "pl_ctl_bpf.h"
#include "plt_bpf.h"
#include "plt_log.h"

#ifndef PLT_BUILD_ROOT
#define PLT_BUILD_ROOT ""
#endif
#ifndef PLT_BPF_INSTALL_DIR
#define PLT_BPF_INSTALL_DIR "/usr/local/lib/pathlab"
#endif
#ifndef PLT_BPF_FROM_BINDIR
#define PLT_BPF_FROM_BINDIR ""
#endif

/* The directory of the running program (/proc/self/exe) in buf, or "". */
static void exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	buf[n > 0 ? n : 0] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		buf[0] = '\0';
}

const char *plt_bpf_find(const char *given, const char *rel, char *buf, size_t len)
{
	static const char root[] = PLT_BUILD_ROOT;
	const char *base = strrchr(rel, '/'), *dir = getenv("PL_BPF_DIR");
	size_t nroot = strlen(root);
	char exe[PATH_MAX];

	base = base ? base + 1 : rel;
	if (given)
		return given;
	if (dir && *dir) {
		snprintf(buf, len, "%s/%s", dir, base);
		if (!access(buf, R_OK))
			return buf;
	}
	exe_dir(exe, sizeof(exe));
	if (nroot && strlen(exe) >= nroot && !memcmp(exe, root, nroot) && (exe[nroot] == '/' || !exe[nroot])) {
		/* run from the build tree: its objects */
		snprintf(buf, len, "%s/%s", PLT_BUILD_ROOT, rel);
		if (!access(buf, R_OK))
			return buf;
	}
	if (exe[0] && PLT_BPF_FROM_BINDIR[0]) {
		snprintf(buf, len, "%s/%s/%s", exe, PLT_BPF_FROM_BINDIR, base);
		if (!access(buf, R_OK))
			return buf;
	}
	snprintf(buf, len, "%s/%s", PLT_BPF_INSTALL_DIR, base);
	return buf;
}

/* Is name among the NULL-terminated list? */
static int listed(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return 1;
	return 0;
}

/* Give map m an existing map: by fd, from the pin directory, or from the
 * shared object. 0 (also when none applies) or -errno after saying so. */
static int reuse_map(struct plt_bpf *b, const struct plt_bpf_opts *o, struct bpf_map *m)
{
	const char *name = bpf_map__name(m);
	char path[PATH_MAX];
	int fd, err;

	for (size_t i = 0; i < o->nreuse; i++)
		if (!strcmp(o->reuse[i].name, name)) {
			err = bpf_map__reuse_fd(m, o->reuse[i].fd);
			if (err)
				pr_warn("cannot use the given map as %s: %s\n", name, strerror(-err));
			return err;
		}
	if (bpf_map__is_internal(m) || strchr(name, '.') || listed(o->no_share, name))
		return 0;
	if (o->pin_dir) {
		snprintf(path, sizeof(path), "%s/%s", o->pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			err = bpf_map__reuse_fd(m, fd);
			close(fd);
			if (err) {
				pr_warn("cannot reuse the pinned map %s: %s (remove %s and load again)\n", path,
					strerror(-err), o->pin_dir);
				return err;
			}
			b->reused_pins++;
			return 0;
		}
	}
	if (o->share) {
		struct bpf_map *m0 = bpf_object__find_map_by_name(o->share, name);

		if (m0 && bpf_map__fd(m0) >= 0) {
			err = bpf_map__reuse_fd(m, bpf_map__fd(m0));
			if (err)
				pr_warn("cannot share map %s: %s\n", name, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Append ", ITEM" (no comma first) to the list in buf. */
static void list_add(char *buf, size_t len, const char *item)
{
	size_t n = strlen(buf);

	if (n < len - 1)
		snprintf(buf + n, len - n, "%s%s", n ? ", " : "", item);
}

/* Offload (XDP on the NIC; nfp is the one driver) takes array and hash maps
 * only, and a devmap, cpumap or XSKMAP points at the host's interfaces, CPUs
 * and sockets. 0 when obj has none of those, else -EOPNOTSUPP after naming
 * them: refused before the kernel is asked. */
static int offload_check(struct bpf_object *obj, const char *path)
{
	char host[256] = "", other[256] = "", item[128];
	struct bpf_map *m;
	int nother = 0;

	bpf_object__for_each_map(m, obj) {
		enum bpf_map_type t = bpf_map__type(m);
		const char *ts = libbpf_bpf_map_type_str(t);

		ts = ts ? ts : "?";
		if (t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			continue;
		if (t == BPF_MAP_TYPE_DEVMAP || t == BPF_MAP_TYPE_DEVMAP_HASH || t == BPF_MAP_TYPE_XSKMAP ||
		    t == BPF_MAP_TYPE_CPUMAP) {
			snprintf(item, sizeof(item), "%s (%s)", bpf_map__name(m), ts);
			list_add(host, sizeof(host), item);
			continue;
		}
		if (!strstr(other, ts))
			list_add(other, sizeof(other), ts);
		nother++;
	}
	if (!host[0] && !nother)
		return 0;
	if (nother)
		snprintf(item, sizeof(item), "%s%d map%s of types no NIC holds (%.60s)", host[0] ? ", and " : "",
			 nother, nother == 1 ? "" : "s", other);
	else
		item[0] = '\0';
	pr_warn("offload refused before trying: %s has %s%s%s; only array and hash maps offload (nfp): "
		"use native or generic mode\n", path, host,
		host[0] ? ", which point at the host's interfaces, CPUs or AF_XDP sockets" : "", item);
	return -EOPNOTSUPP;
}

int plt_bpf_load(struct plt_bpf *b, const struct plt_bpf_opts *o)
{
	const char *opt = o->obj_opt ? o->obj_opt : "--obj";
	struct bpf_program *p;
	struct bpf_map *m;
	int err;

	memset(b, 0, sizeof(*b));
	b->path = o->path;
	b->obj = bpf_object__open_file(o->path, NULL);
	if (!b->obj) {
		err = -errno;
		pr_warn("cannot open BPF object %s: %s (build it with `ninja -C build`, or pass %s PATH)\n",
			o->path, strerror(-err), opt);
		return err;
	}
	if (o->prog) {
		b->prog = bpf_object__find_program_by_name(b->obj, o->prog);
		if (!b->prog) {
			pr_warn("%s has no program '%s' (wrong %s?)\n", o->path, o->prog, opt);
			err = -ENOENT;
			goto err_close;
		}
		bpf_object__for_each_program(p, b->obj)
			bpf_program__set_autoload(p, p == b->prog);
	}
	if (o->offload_ifindex > 0) {
		err = offload_check(b->obj, o->path);
		if (err)
			goto err_close;
	}
	for (size_t i = 0; i < o->nrodata; i++) {
		err = pl_ctl_bpf_set_rodata_u32(b->obj, o->rodata[i].name, o->rodata[i].value);
		if (err) {
			pr_warn("%s has no rodata global %s (%s): not this tool's object, or an old one "
				"(rebuild: ninja -C build)\n", o->path, o->rodata[i].name, strerror(-err));
			goto err_close;
		}
	}
	bpf_object__for_each_map(m, b->obj) {
		err = reuse_map(b, o, m);
		if (err)
			goto err_close;
		if (o->offload_ifindex > 0)
			bpf_map__set_ifindex(m, o->offload_ifindex);
	}
	if (o->offload_ifindex > 0 && b->prog)
		bpf_program__set_ifindex(b->prog, o->offload_ifindex);
	if (o->before_load) {
		err = o->before_load(b->obj, o->arg);
		if (err)
			goto err_close;
	}
	err = bpf_object__load(b->obj);
	if (err) {
		pr_warn("cannot load %s: %s%s\n", o->path, strerror(-err),
			err == -EPERM || err == -EACCES
				? " (loading BPF needs root, or CAP_BPF and CAP_NET_ADMIN; check `ulimit -l`)"
			: o->offload_ifindex > 0
				? " (offload: only nfp offloads XDP, and not devmap/xskmap: use --mode native or generic)"
				: " (the verifier's log is above with --verbose)");
		goto err_close;
	}
	pr_debug("loaded %s\n", o->path);
	return 0;

err_close:
	bpf_object__close(b->obj);
	b->obj = NULL;
	b->prog = NULL;
	return err;
}

void plt_bpf_close(struct plt_bpf *b)
{
	bpf_object__close(b->obj);
	b->obj = NULL;
	b->prog = NULL;
}

int plt_bpf_prog_fd(const struct plt_bpf *b, const char *name)
{
	struct bpf_program *p = b->obj ? bpf_object__find_program_by_name(b->obj, name) : NULL;
	int fd = p ? bpf_program__fd(p) : -1;

	return fd >= 0 ? fd : -ENOENT;
}

int plt_bpf_map_fd(const struct plt_bpf *b, const char *name)
{
	struct bpf_map *m = b->obj ? bpf_object__find_map_by_name(b->obj, name) : NULL;
	int fd = m ? bpf_map__fd(m) : -1;

	return fd >= 0 ? fd : -ENOENT;
}

__u32 plt_bpf_prog_id(int prog_fd)
{
	struct bpf_prog_info pi;
	__u32 len = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	return bpf_obj_get_info_by_fd(prog_fd, &pi, &len) ? 0 : pi.id;
}

int plt_bpffs_mounted(void)
{
	struct statfs st;

	return !statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC;
}

int plt_bpffs_check(void)
{
	if (plt_bpffs_mounted())
		return 0;
	pr_warn("no bpffs at /sys/fs/bpf: `mount -t bpf -o mode=0700 bpf /sys/fs/bpf` (inside a namespace use "
		"`pl-topo exec`, which keeps one: `ip netns exec` gives a fresh /sys that lasts one command)\n");
	return -ENOENT;
}

int plt_bpf_pin_maps(const struct plt_bpf *b, const char *dir, const char *const *skip)
{
	char parent[PATH_MAX], path[PATH_MAX + 64], *slash;
	struct pl_err perr;
	struct bpf_map *m;
	int err = 0;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		err = pl_ctl_bpf_pin_dir(parent, &perr);
	}
	if (!err)
		err = pl_ctl_bpf_pin_dir(dir, &perr);
	if (err) {
		pr_warn("%s\n", perr.msg);
		return err;
	}
	bpf_object__for_each_map(m, b->obj) {
		const char *name = bpf_map__name(m);

		if (bpf_map__fd(m) < 0 || strchr(name, '.') || listed(skip, name))
			continue; /* .rodata and friends */
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bpf_obj_pin(bpf_map__fd(m), path) && errno != EEXIST) {
			err = -errno;
			pr_warn("cannot pin %s: %s\n", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

void plt_pin_dir_remove(const char *dir)
{
	char path[PATH_MAX + 300];
	struct pl_err perr;
	struct dirent *de;
	DIR *d;

	if (pl_ctl_bpf_pin_dir_check(dir, &perr))
		return; /* missing, or not ours to empty */
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}
