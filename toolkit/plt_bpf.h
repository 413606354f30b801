/* SPDX-License-Identifier: MIT */
/* plt_bpf: find, open and load a BPF object, the one way every tool does.
 *
 * API:
 *   char buf[PATH_MAX];
 *   const char *path = plt_bpf_find(o.obj, "xdp/pathlab.bpf.o", buf, sizeof(buf));
 *   struct plt_bpf b;
 *   struct plt_bpf_opts lo = { .path = path, .prog = "pathlab",
 *   	.rodata = (struct plt_bpf_rodata[]){ { "pl_record_result", 1 } }, .nrodata = 1 };
 *   err = plt_bpf_load(&b, &lo);     // -errno after saying why and what to try
 *   ... bpf_program__fd(b.prog), plt_bpf_map_fd(&b, "pl_counters") ...
 *   plt_bpf_close(&b);               // accepts a zeroed or failed struct
 *
 * plt_bpf_find: the path given (an --obj option) as is; else
 * $PL_BPF_DIR/basename(REL) when that exists; else, for a program run from
 * the build tree, that tree's object (PLT_BUILD_ROOT/REL); else the
 * installed one next to the program (its bindir/PLT_BPF_FROM_BINDIR, i.e.
 * libdir/pathlab: right after `meson install` with DESTDIR, or a moved
 * tree); else PLT_BPF_INSTALL_DIR/basename(REL). The roots are compiled in
 * by toolkit/meson.build. An installed program never uses the build tree.
 *
 * plt_bpf_load: open; load only .prog (autoload off for the others; NULL:
 * all); set the rodata globals (const volatile __u32, through BTF); reuse
 * maps: those given by fd (.reuse), else those pinned in .pin_dir under the
 * map's name, else the same-named maps of the loaded object .share (not
 * the ones named in .no_share, e.g. a per-interface xsks_map); bind to
 * .offload_ifindex (offload); call .before_load; load. Attaching is
 * plt_xdp.h's job. */
#ifndef PLT_BPF_H
#define PLT_BPF_H

#include <stddef.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

/* The core's BPF object (relative to the build root; installed under its
 * base name) and its datapath program. */
#define PLT_CORE_OBJ "xdp/pathlab.bpf.o"
#define PLT_CORE_PROG "pathlab"
/* The same program under the name of libxdp's AF_XDP default program (the
 * pre-filter in front of Open vSwitch, ovs/README.md). */
#define PLT_CORE_XSK_PROG "xsk_def_prog"
/* Where pathlab pins (links of `pathlab-xdp attach`, the pre-filter's maps). */
#define PLT_PIN_ROOT "/sys/fs/bpf/pathlab"

/* Where a BPF object is (see above); buf holds the result when needed.
 * Never NULL: the installed path is returned even when it does not exist
 * (plt_bpf_load then says where it looked). */
const char *plt_bpf_find(const char *given, const char *rel, char *buf, size_t len);

struct plt_bpf_rodata {
	const char *name; /* a `const volatile __u32` global */
	__u32 value;
};

struct plt_bpf_reuse {
	const char *name; /* map name */
	int fd;           /* map fd to use instead of creating it */
};

struct plt_bpf_opts {
	const char *path;           /* from plt_bpf_find */
	const char *obj_opt;        /* the option that sets path, named in errors ("--obj") */
	const char *prog;           /* the program to load; NULL: every program */
	const struct plt_bpf_rodata *rodata;
	size_t nrodata;
	const struct plt_bpf_reuse *reuse;
	size_t nreuse;
	const char *pin_dir;        /* reuse maps pinned in this directory */
	struct bpf_object *share;   /* reuse the same-named maps of this loaded object */
	const char *const *no_share; /* NULL-terminated map names never taken from pin_dir/share */
	int offload_ifindex;        /* > 0: bind program and maps to this device */
	/* Called after the steps above, just before loading (e.g. to fill a
	 * .rodata struct through bpf_map__initial_value): 0, or -errno after
	 * saying what is wrong (nothing is loaded then). */
	int (*before_load)(struct bpf_object *obj, void *arg);
	void *arg;
};

struct plt_bpf {
	struct bpf_object *obj;
	struct bpf_program *prog; /* .prog (NULL when all were loaded) */
	const char *path;
	unsigned reused_pins;     /* maps taken from pin_dir */
};

int plt_bpf_load(struct plt_bpf *b, const struct plt_bpf_opts *o);
/* Close the object; accepts a zeroed struct. */
void plt_bpf_close(struct plt_bpf *b);
/* A program's / a map's fd by name, or -ENOENT. */
int plt_bpf_prog_fd(const struct plt_bpf *b, const char *name);
int plt_bpf_map_fd(const struct plt_bpf *b, const char *name);
/* The id of a loaded program (fd), or 0. */
__u32 plt_bpf_prog_id(int prog_fd);

/* ---- bpffs pins ---- */
/* 0 when a bpffs is mounted at /sys/fs/bpf, else -ENOENT after saying how to get one. */
int plt_bpffs_check(void);
/* Nonzero when /sys/fs/bpf is a bpffs (silent). */
int plt_bpffs_mounted(void);
/* Pin every map of b (not .rodata & co, not those in skip, NULL-terminated)
 * as DIR/NAME; DIR and its parent are made, or checked, by
 * pl_ctl_bpf_pin_dir (mode 0700, ours, no symbolic link: a directory
 * another user controls is refused). Pins already there are kept. Returns
 * 0 or -errno after saying which. */
int plt_bpf_pin_maps(const struct plt_bpf *b, const char *dir, const char *const *skip);
/* Remove dir and every pin in it (nothing when pl_ctl_bpf_pin_dir_check
 * refuses the directory). */
void plt_pin_dir_remove(const char *dir);

#endif
