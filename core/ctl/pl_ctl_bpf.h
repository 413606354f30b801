/* SPDX-License-Identifier: MIT */
/* BPF backends of libpathlab-ctl (need libbpf). */
#ifndef PL_CTL_BPF_H
#define PL_CTL_BPF_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pl_ctl.h"

/* The maps of an object loaded in this process. */
struct pl_ctl *pl_ctl_open_bpf_obj(struct bpf_object *obj);
/* The maps of a program already running (found by their names among the
 * program's map ids): how `pathlab-xdp status` reaches an attached program. */
struct pl_ctl *pl_ctl_open_bpf_prog(uint32_t prog_id);

/* Set a `const volatile __u32` global of obj (found through the BTF of its
 * .rodata section) before the object is loaded: 0, -ENOENT when the object
 * has no such global, -EINVAL when it is not 4 bytes. */
int pl_ctl_bpf_set_rodata_u32(struct bpf_object *obj, const char *var, uint32_t val);

/* An fd of the first map of type `type` (BPF_MAP_TYPE_*) among the maps of
 * program prog_fd (its info in *info when not NULL), -ENOENT when it has
 * none, or -errno. Programs with more than 16 maps: the first 16. */
int pl_ctl_bpf_prog_map_by_type(int prog_fd, uint32_t type, struct bpf_map_info *info);

/* Make the bpffs pin directory dir (mode 0700) when it does not exist, then
 * check that it is safe to pin in: a directory (not a symlink) owned by this
 * process's user (root) with mode 0700. One that another user made or can
 * write into lets them unpin a link (detaching the program) or hold a lock.
 * 0, or -errno with err->msg saying what is wrong and what to do. */
int pl_ctl_bpf_pin_dir(const char *dir, struct pl_err *err);
/* The same check without making it (-ENOENT when it does not exist): call
 * it before removing pins from a directory. */
int pl_ctl_bpf_pin_dir_check(const char *dir, struct pl_err *err);

#endif
