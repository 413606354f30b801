// SPDX-License-Identifier: MIT
/* plt_ctlsock: a datapath process's control socket (server and client). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "plt_ctlsock.h"
#include "plt_log.h"
#include "plt_xdp.h"

#define REQ_MAX (4u << 20) /* a policy file's limit (docs/policy.md) plus the line */
#define IO_TIMEOUT_MS 5000

struct plt_ctlsock {
	struct plt_ctl_target *t;
	int lfd;
	int stop_pipe[2];
	pthread_t thread;
	int running;
	dev_t dev;
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

const char *plt_run_dir(void)
{
	const char *d = getenv("PATHLAB_RUN_DIR");

	return d && d[0] ? d : PLT_RUN_DIR;
}

/* NAME of KIND:NAME: letters, digits, '.', '_', '-' (it becomes a file name). */
int plt_ctl_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < PLT_CTL_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						      "0123456789._-") == n && s[0] != '.';
}

static int sock_path(char *buf, size_t len, const char *kind, const char *name)
{
	int n = snprintf(buf, len, "%s/%s-%s.sock", plt_run_dir(), kind, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- the target ---- */

int plt_ctl_target_init(struct plt_ctl_target *t, const char *kind, const char *name, const char *path,
			const char *ifnames)
{
	struct plt_xdp_info a;
	char first[IF_NAMESIZE] = "";
	unsigned idx;

	memset(t, 0, sizeof(*t));
	if (!plt_ctl_name_ok(name)) {
		pr_warn("control name '%s': use 1-%d letters, digits, '.', '_' or '-'\n", name,
			PLT_CTL_NAME_MAX - 1);
		return -EINVAL;
	}
	snprintf(t->kind, sizeof(t->kind), "%s", kind);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->path = path;
	snprintf(t->info.instance, sizeof(t->info.instance), "%s:%s", kind, name);
	snprintf(t->info.ifname, sizeof(t->info.ifname), "%s", ifnames ? ifnames : "");
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(t->info.ifname, ","), t->info.ifname);
	idx = first[0] ? if_nametoindex(first) : 0;
	snprintf(t->info.xdp_mode, sizeof(t->info.xdp_mode), "%s",
		 idx && !plt_xdp_query((int)idx, &a) ? plt_xdp_attached_name(a.attach_mode) : "none");
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

void plt_ctl_target_add(struct plt_ctl_target *t, struct pl_ctl *c, pl_port_resolver r, void *arg)
{
	if (t->nctl >= PLT_CTL_TARGET_MAX)
		return;
	t->resolve[t->nctl] = r;
	t->resolve_arg[t->nctl] = arg;
	t->ctl[t->nctl++] = c;
	if (!t->report_ctl)
		t->report_ctl = c;
}

int plt_ctl_target_policy(struct plt_ctl_target *t, const char *path)
{
	struct pl_err err;
	int ret = path ? pl_policy_parse_file(path, &t->applied, &err)
		       : pl_policy_parse_string("", "(no policy)", &t->applied, &err);

	if (ret)
		pr_warn("%s\n", err.msg);
	return ret;
}

void plt_ctl_target_fini(struct plt_ctl_target *t)
{
	pl_policy_free(t->applied);
	t->applied = NULL;
	pthread_mutex_destroy(&t->lock);
}

/* Counters: the target's reader, else its report core's. Lock held. */
static int target_read(struct plt_ctl_target *t, struct pl_counters *sum)
{
	return t->read ? t->read(t->read_arg, sum) : pl_ctl_read_counters(t->report_ctl, sum);
}

int plt_ctl_target_metrics_read(void *arg, struct pl_counters *sum)
{
	struct plt_ctl_target *t = arg;
	int err;

	pthread_mutex_lock(&t->lock);
	err = target_read(t, sum);
	pthread_mutex_unlock(&t->lock);
	return err;
}

/* The tables, with the target's counters in place of report_ctl's. */
static int target_report(struct plt_ctl_target *t, unsigned n, struct pl_report *r)
{
	int err = pl_report_read(t->report_ctl, n, r);

	if (!err && (t->read || t->report_ctl != t->ctl[0]))
		err = target_read(t, &r->cnt);
	return err;
}

static int metrics_report(void *arg, unsigned n, struct pl_report *r)
{
	struct plt_ctl_target *t = arg;
	int err;

	pthread_mutex_lock(&t->lock);
	err = target_report(t, n, r);
	pthread_mutex_unlock(&t->lock);
	return err;
}

void plt_ctl_target_metrics(struct plt_ctl_target *t, struct pl_metrics_server *srv, unsigned n)
{
	if (!srv)
		return;
	pl_metrics_set_info(srv, &t->info);
	pl_metrics_set_report(srv, metrics_report, t, n);
}

/* ---- commands (lock held) ---- */

static int cmd_show(struct plt_ctl_target *t, FILE *out, unsigned n, int what, struct pl_err *err)
{
	struct pl_report *r = malloc(sizeof(*r));
	int ret;

	if (!r) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	ret = target_report(t, n, r);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "cannot read the tables: %s", strerror(-ret));
	} else {
		fprintf(out, "target=%s pid=%d path=%s ifname=%s xdp_mode=%s cores=%u policy=%s\n",
			t->info.instance, (int)getpid(), t->path ? t->path : "", t->info.ifname,
			t->info.xdp_mode, t->nctl, t->applied ? pl_policy_name(t->applied) : "(none)");
		pl_report_print(out, r, what);
	}
	free(r);
	return ret;
}

static int cmd_mode(struct plt_ctl_target *t, FILE *out, const char *arg, struct pl_err *err)
{
	struct pl_config old[PLT_CTL_TARGET_MAX];
	int m = pl_mode_parse(arg), ret = 0;
	unsigned i;

	if (m < 0) {
		snprintf(err->msg, sizeof(err->msg), "unknown mode '%s' (policy, pass-all, drop-all, count-only)",
			 arg ? arg : "");
		return -EINVAL;
	}
	for (i = 0; i < t->nctl && !ret; i++)
		ret = pl_ctl_get_config(t->ctl[i], &old[i]);
	for (i = 0; i < t->nctl && !ret; i++)
		ret = pl_ctl_set_mode(t->ctl[i], m);
	if (ret) {
		/* All or nothing: the cores already switched go back. */
		for (unsigned j = 0; j + 1 < i; j++)
			pl_ctl_set_mode(t->ctl[j], old[j].mode);
		snprintf(err->msg, sizeof(err->msg), "mode %s: %s (nothing changed)", arg, strerror(-ret));
		return ret;
	}
	fprintf(out, "mode %s\n", pl_mode_name(m));
	return 0;
}

static int cmd_apply(struct plt_ctl_target *t, FILE *out, const char *name, const char *text,
		     struct pl_err *err)
{
	struct pl_policy *p;
	char sum[256];
	unsigned i;
	int ret;

	ret = pl_policy_parse_string(text, name && name[0] ? name : "(policy)", &p, err);
	if (ret)
		return ret;
	for (i = 0; i < t->nctl; i++) {
		ret = pl_policy_apply(t->ctl[i], p, t->resolve[i], t->resolve_arg[i], err);
		if (ret)
			break;
	}
	if (ret) {
		/* Cores before i took the new policy: give them the old one back. */
		for (unsigned j = 0; j < i; j++) {
			struct pl_err e2;

			if (!t->applied ||
			    pl_policy_apply(t->ctl[j], t->applied, t->resolve[j], t->resolve_arg[j], &e2)) {
				size_t l = strlen(err->msg);

				snprintf(err->msg + l, sizeof(err->msg) - l,
					 "; restoring the previous policy in core %u also failed", j);
			}
		}
		pl_policy_free(p);
		return ret;
	}
	pl_policy_free(t->applied);
	t->applied = p;
	pl_policy_summary(p, sum, sizeof(sum));
	fprintf(out, "applied %s to %u core%s: %s\n", pl_policy_name(p), t->nctl, t->nctl == 1 ? "" : "s",
		sum);
	pr_info("policy %s applied through the control socket: %s\n", pl_policy_name(p), sum);
	return 0;
}

/* Run one request; the answer's text goes to out. */
static int dispatch(struct plt_ctl_target *t, char *req, size_t len, FILE *out, struct pl_err *err)
{
	char *nl = memchr(req, '\n', len), *text = "", *save = NULL, *cmd, *arg;
	unsigned long n = 10;
	int ret;

	if (nl) {
		*nl = '\0';
		text = nl + 1;
	}
	cmd = strtok_r(req, " \t\r", &save);
	arg = strtok_r(NULL, " \t\r", &save);
	if (!cmd) {
		snprintf(err->msg, sizeof(err->msg), "empty request");
		return -EINVAL;
	}
	if (arg && (!strcmp(cmd, "show") || !strcmp(cmd, "show-all") || !strcmp(cmd, "top"))) {
		char *end;

		n = strtoul(arg, &end, 10);
		if (*end || !n || n > PL_REPORT_TOP_MAX) {
			snprintf(err->msg, sizeof(err->msg), "N must be 1-%d, not '%s'", PL_REPORT_TOP_MAX, arg);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&t->lock);
	if (!strcmp(cmd, "show"))
		ret = cmd_show(t, out, (unsigned)n, PL_REPORT_CONFIG | PL_REPORT_COUNTERS | PL_REPORT_TABLES | PL_REPORT_TOP, err);
	else if (!strcmp(cmd, "show-all"))
		ret = cmd_show(t, out, (unsigned)n,
			       PL_REPORT_CONFIG | PL_REPORT_ALL_COUNTERS | PL_REPORT_TABLES | PL_REPORT_TOP, err);
	else if (!strcmp(cmd, "top"))
		ret = cmd_show(t, out, (unsigned)n, PL_REPORT_TOP, err);
	else if (!strcmp(cmd, "mode"))
		ret = cmd_mode(t, out, arg, err);
	else if (!strcmp(cmd, "apply"))
		ret = cmd_apply(t, out, arg, text, err);
	else {
		snprintf(err->msg, sizeof(err->msg), "unknown command '%s' (show, show-all, top, mode, apply)", cmd);
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* ---- I/O ---- */

/* Read to the end of the stream (at most max bytes) before the deadline;
 * NUL-terminated. Returns the length or -errno. */
static long read_all(int fd, char **out, size_t max, long long deadline)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - pl_io_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (len == cap) {
			char *nb;

			if (cap >= max) {
				free(buf);
				return -E2BIG;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return (long)len;
}

/* ---- the server ---- */

static void serve_conn(struct plt_ctlsock *s, int fd)
{
	long long deadline = pl_io_now_ms() + IO_TIMEOUT_MS;
	struct pl_err err = { { 0 } };
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	char *req = NULL, *body = NULL;
	size_t blen = 0;
	FILE *out;
	long n;
	int ret;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) || (cr.uid != 0 && cr.uid != geteuid())) {
		static const char deny[] = "error: permission denied (root only)\n";

		pl_io_send_all(fd, deny, sizeof(deny) - 1, deadline);
		return;
	}
	n = read_all(fd, &req, REQ_MAX, deadline);
	if (n < 0) {
		char msg[128];
		int m = snprintf(msg, sizeof(msg), "error: reading the request: %s\n", strerror((int)-n));

		pl_io_send_all(fd, msg, (size_t)m, deadline);
		return;
	}
	out = open_memstream(&body, &blen);
	if (!out) {
		free(req);
		return;
	}
	ret = dispatch(s->t, req, (size_t)n, out, &err);
	fclose(out);
	if (ret) {
		char *msg = NULL;
		int m = asprintf(&msg, "error: %s\n", err.msg[0] ? err.msg : strerror(-ret));

		if (m > 0)
			pl_io_send_all(fd, msg, (size_t)m, deadline);
		free(msg);
	} else {
		pl_io_send_all(fd, "ok\n", 3, deadline);
		pl_io_send_all(fd, body, blen, deadline);
	}
	free(body);
	free(req);
}

static void *serve_loop(void *arg)
{
	struct plt_ctlsock *s = arg;
	int fd;

	while ((fd = pl_io_accept(s->lfd, s->stop_pipe[0])) >= 0) {
		serve_conn(s, fd);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

/* Connect to a socket path: the fd, or -errno (-ECONNREFUSED: nobody listens). */
static int connect_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Remove the sockets of dir nobody listens on (their process was killed). */
static void clean_stale(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
		size_t l = strlen(e->d_name);
		struct stat st;
		int fd;

		if (l < 6 || strcmp(e->d_name + l - 5, ".sock"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		fd = connect_path(path);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (fd == -ECONNREFUSED && !unlink(path))
			pr_info("removed stale control socket %s (its process is gone)\n", path);
	}
	closedir(d);
}

/* Make the run directory (0700) or check it: ours, a directory, 0700. */
static int run_dir_ok(const char *dir)
{
	char parent[PATH_MAX];
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", dir);
	if (strrchr(parent, '/') && strrchr(parent, '/') != parent) {
		*strrchr(parent, '/') = '\0';
		if (mkdir(parent, 0755) && errno != EEXIST)
			pr_debug("%s: %s\n", parent, strerror(errno));
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_warn("cannot make the control directory %s: %s%s\n", dir, strerror(errno),
			errno == EACCES ? " (run as root, or set PATHLAB_RUN_DIR)" : "");
		return -errno;
	}
	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		pr_warn("control directory %s must be a directory of uid %u with mode 0700 (it is %s, uid %u, mode %03o): "
			"remove it or fix it\n",
			dir, (unsigned)geteuid(), S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	return 0;
}

void plt_ctlsock_stop(struct plt_ctlsock *s)
{
	struct stat st;

	if (!s)
		return;
	if (s->running) {
		if (write(s->stop_pipe[1], "x", 1) < 0) {
			/* our own empty pipe: cannot fail in practice */
		}
		pthread_join(s->thread, NULL);
	}
	/* Remove the socket only while it is still ours. */
	if (s->path[0] && !lstat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]);
	free(s);
}

int plt_ctlsock_start(struct plt_ctl_target *t, struct plt_ctlsock **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct plt_ctlsock *s;
	struct stat st;
	mode_t old;
	int ret, fd;

	*out = NULL;
	ret = run_dir_ok(plt_run_dir());
	if (ret)
		return ret;
	clean_stale(plt_run_dir());
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->t = t;
	s->lfd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
	if (sock_path(sa.sun_path, sizeof(sa.sun_path), t->kind, t->name)) {
		pr_warn("control socket path for %s:%s is too long (shorter PATHLAB_RUN_DIR or name)\n", t->kind,
			t->name);
		free(s);
		return -ENAMETOOLONG;
	}
	fd = connect_path(sa.sun_path);
	if (fd >= 0) {
		struct ucred cr = { 0 };
		socklen_t cl = sizeof(cr);

		getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
		close(fd);
		pr_warn("%s:%s is already served by process %d (%s): give this one another name%s\n", t->kind,
			t->name, (int)cr.pid, sa.sun_path,
			!strcmp(t->kind, "afxdp") ? " (--ctl-name NAME)" : " (EAL --file-prefix)");
		free(s);
		return -EADDRINUSE;
	}
	unlink(sa.sun_path); /* stale (nobody listens), or absent */
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto err_sys;
	old = umask(077);
	ret = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || chmod(sa.sun_path, 0600) || listen(s->lfd, 8) || stat(sa.sun_path, &st))
		goto err_sys;
	snprintf(s->path, sizeof(s->path), "%s", sa.sun_path);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (pipe2(s->stop_pipe, O_CLOEXEC))
		goto err_sys;
	ret = -pthread_create(&s->thread, NULL, serve_loop, s);
	if (ret) {
		pr_warn("control socket thread: %s\n", strerror(-ret));
		plt_ctlsock_stop(s);
		return ret;
	}
	s->running = 1;
	pr_info("control socket %s (pathlab-policy --target %s:%s)\n", s->path, t->kind, t->name);
	*out = s;
	return 0;
err_sys:
	ret = -errno;
	pr_warn("control socket %s: %s\n", sa.sun_path, strerror(-ret));
	plt_ctlsock_stop(s);
	return ret;
}

/* ---- the client ---- */

int plt_ctlsock_request(const char *kind, const char *name, const char *line, const char *payload,
			size_t plen, FILE *out, struct pl_err *err)
{
	long long deadline = pl_io_now_ms() + IO_TIMEOUT_MS + 3000; /* the server's bound, plus an apply's wait */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *ans = NULL;
	long n;
	int fd, ret;

	if (!plt_ctl_name_ok(name)) {
		snprintf(err->msg, sizeof(err->msg), "%s:%s: NAME must be letters, digits, '.', '_' or '-'", kind,
			 name);
		return -EINVAL;
	}
	if (sock_path(path, sizeof(path), kind, name)) {
		snprintf(err->msg, sizeof(err->msg), "%s:%s: socket path too long", kind, name);
		return -ENAMETOOLONG;
	}
	fd = connect_path(path);
	if (fd < 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot reach %s:%s at %s: %s%s", kind, name, path,
			 strerror(-fd),
			 fd == -ENOENT ? " (is it running? its control name is the first -i interface, or --ctl-name; "
					 "for pathlab-dpdk the EAL --file-prefix, default rte)"
			 : fd == -ECONNREFUSED ? " (a socket left by a process that was killed: nothing runs under that name)"
			 : fd == -EACCES ? " (run as root)" : "");
		return fd;
	}
	ret = pl_io_send_all(fd, line, strlen(line), deadline);
	if (!ret)
		ret = pl_io_send_all(fd, "\n", 1, deadline);
	if (!ret && payload)
		ret = pl_io_send_all(fd, payload, plen, deadline);
	shutdown(fd, SHUT_WR);
	n = ret ? ret : read_all(fd, &ans, 64u << 20, deadline);
	close(fd);
	if (n < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s:%s: %s", kind, name, strerror((int)-n));
		return (int)n;
	}
	if (!strncmp(ans, "ok\n", 3)) {
		fputs(ans + 3, out);
		free(ans);
		return 0;
	}
	ans[strcspn(ans, "\n")] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s:%s: %s", kind, name,
		 !strncmp(ans, "error: ", 7) ? ans + 7 : ans[0] ? ans : "no answer (the process stopped?)");
	free(ans);
	return 1;
}
