/* SPDX-License-Identifier: MIT */
/* plt_opts: one typed table of options (and one of subcommands) per tool
 * drives the parsing and --help.
 *
 * API: describe the options struct field by field:
 *
 *   #define O(f) offsetof(struct my_opts, f)
 *   static const struct plt_opt my_opts_table[] = {
 *   	{ "policy", 'p', PLT_OPT_STR, O(policy), "FILE", "policy to load" },
 *   	{ "rounds", 0, PLT_OPT_UINT, O(rounds), "N", "rounds", .min = 1, .max = 1000 },
 *   	{ "mode", 'm', PLT_OPT_ENUM, O(mode), "MODE", "...", .names = mode_names },
 *   	{ "verbose", 'v', PLT_OPT_VERBOSE, 0, NULL, "more messages (twice: libbpf's)" },
 *   	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
 *   };
 *   static const struct plt_tool tool = { .name = "pl-x", .usage = "[options] FILE",
 *   	.opts = my_opts_table, .nopts = PLT_ARRAY_SIZE(my_opts_table) };
 *
 * A tool without subcommands calls plt_opts_main() (or plt_opts_parse()) and
 * gets its operands;
 * a tool with subcommands (.cmds) calls plt_cmd_main(), which parses
 * "TOOL COMMAND [options] ARGS", checks the number of ARGS and calls the
 * command. Options may come anywhere after the command. "TOOL --help",
 * "TOOL help" and "TOOL COMMAND --help" print plt_usage(). Every error says
 * which option is wrong and what it takes, then "Try 'TOOL --help'.";
 * usage errors exit 2. Every tool also takes --version (listed in --help),
 * which prints "TOOL (pathlab) VERSION" and exits 0. Field types: FLAG, VERBOSE, QUIET: int (VERBOSE also
 * raises plt_log's level one step per use, QUIET sets it to warnings);
 * STR: const char *; UINT: unsigned long; U32: uint32_t; SECONDS, DOUBLE: double;
 * ENUM: int (index in .names); SET: int = .min (a flag naming a value, as -N
 * for "--mode native"); FUNC: .fn gets the field's address and writes it. */
#ifndef PLT_OPTS_H
#define PLT_OPTS_H

#include <stddef.h>
#include <stdio.h>

#define PLT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum plt_opt_type {
	PLT_OPT_FLAG,    /* int field = 1 */
	PLT_OPT_VERBOSE, /* int field += 1; plt_log one level more */
	PLT_OPT_QUIET,   /* int field = 1; plt_log warnings only */
	PLT_OPT_STR,     /* const char * field = the argument */
	PLT_OPT_UINT,    /* unsigned long field, in [min, max] (max 0: no limit); 1e6 accepted */
	PLT_OPT_U32,     /* uint32_t field, as UINT (max 0: UINT32_MAX) */
	PLT_OPT_SECONDS, /* double field > 0 (at most 1e7) */
	PLT_OPT_DOUBLE,  /* double field >= 0, at most max when max > 0 */
	PLT_OPT_ENUM,    /* int field = index of the argument in names (NULL-terminated) */
	PLT_OPT_FUNC,    /* fn(field, arg): 0, or -EINVAL after saying what is wrong */
	PLT_OPT_SET,     /* int field = min (no argument) */
	PLT_OPT_HELP,    /* print --help to stdout, exit 0 */
};

struct plt_opt {
	const char *name;  /* long name, without "--" */
	char short_name;   /* 0: long only */
	enum plt_opt_type type;
	size_t off;        /* offsetof the field in the options struct */
	const char *arg;   /* argument name in --help; NULL: takes none */
	const char *help;  /* '\n' continues on a new, indented line */
	unsigned long min, max;        /* PLT_OPT_UINT, PLT_OPT_U32; max: PLT_OPT_DOUBLE; min: PLT_OPT_SET */
	const char *const *names;      /* PLT_OPT_ENUM */
	int (*fn)(void *field, const char *arg); /* PLT_OPT_FUNC: field = opts + off */
};

/* A subcommand: exit status = fn(opts, nargs, args). */
struct plt_cmd {
	const char *name;
	const char *args;  /* "IFACE [IFACE...]" in --help and usage errors */
	const char *help;  /* '\n' continues on a new, indented line */
	int min_args, max_args; /* max_args < 0: no limit */
	int (*fn)(void *opts, int nargs, char **args);
};

struct plt_tool {
	const char *name;   /* "pathlab-xdp": usage line, errors */
	const char *usage;  /* after the name: "[options] PCAP" or "COMMAND [options] ARGS" */
	void (*intro)(FILE *f);  /* optional: text after the usage line */
	const struct plt_opt *opts;
	size_t nopts;
	const struct plt_cmd *cmds; /* optional */
	size_t ncmds;
	void (*outro)(FILE *f);  /* optional: text after the options */
	int width;          /* column of the help texts (0: 24) */
	int min_args, max_args; /* operands of a tool without commands (max < 0: no limit) */
	/* optional: said after "unknown option", before "Try ...": how the
	 * command line is laid out when options of another parser share it */
	const char *unknown_hint;
};

/* --help: usage, intro, commands, options, outro. */
void plt_usage(const struct plt_tool *t, FILE *f);

#define PLT_OPTS_HELP 1 /* plt_opts_parse: --help or --version was printed */

/* "NAME (pathlab) VERSION" and a newline on f: the project's version
 * (meson.build), for --version. */
void plt_version(const char *name, FILE *f);

/* Parse the options among argv[first..argc) into opts (the struct the
 * table's offsets refer to); operands are moved to the end, *args /
 * *nargs point at them. Returns 0, PLT_OPTS_HELP, or -EINVAL after
 * printing what is wrong and "Try 'TOOL --help'.". */
int plt_opts_parse(const struct plt_tool *t, int argc, char **argv, int first, void *opts,
		   int *nargs, char ***args);

/* The start of a tool without commands: plt_log_init(t->name), parse the
 * options, check there are t->min_args..t->max_args operands. Returns -1
 * to go on (*nargs, *args set), else the exit status: 0 after --help, 2
 * after a usage error (said, with "Try 'TOOL --help'."). */
int plt_opts_main(const struct plt_tool *t, int argc, char **argv, void *opts, int *nargs, char ***args);

/* "TOOL COMMAND [options] ARGS" (plt_log_init(t->name) first): the exit status of the command, 0 after
 * --help, 2 after a usage error (unknown command, bad option, wrong number
 * of arguments: each said with the command's usage). */
int plt_cmd_main(const struct plt_tool *t, int argc, char **argv, void *opts);

/* The option of t that the word arg ("--name", "--name=value", "-c") names,
 * or NULL: for a tool that shares its command line with another parser, to
 * say which part an option belongs in. */
const struct plt_opt *plt_opts_find(const struct plt_tool *t, const char *arg);

/* An unsigned number (decimal, 0x hex, or 1e6 style) up to max; 0 or -EINVAL. */
int plt_parse_ulong(const char *s, unsigned long max, unsigned long *out);

/* One help entry: LEFT padded to width, then HELP ('\n' continues indented). */
void plt_usage_entry(FILE *f, const char *left, int width, const char *help);

#endif
