# SPDX-License-Identifier: MIT
"""pathlab's comparison harness: the same workloads through every datapath.

Modules: lab (commands, namespaces, processes, clean-up), counters (one
reader per kind of counter source), placement (which CPU runs which context),
paths (one class per datapath), workloads (one declaration per workload),
measure (trials, NDR/PDR search, overload, accounting), report (table,
results.json, diff), cli (the command line). docs/benchmarking.md.
"""
