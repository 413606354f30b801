/* SPDX-License-Identifier: MIT */
/* The one include every core header uses for platform services. Which
 * implementation it gets is decided by the include path:
 *   BPF:        -Icore -Icore/platform/bpf
 *   user space: -Icore -Icore/platform/user */
#ifndef PL_PLATFORM_H
#define PL_PLATFORM_H
#include "pl_platform_impl.h"
#endif
