/* SPDX-License-Identifier: MIT */
/* BPF backends of libpathlab-ctl (need libbpf). */
#ifndef PL_CTL_BPF_H
#define PL_CTL_BPF_H

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

#endif
