// SPDX-License-Identifier: MIT
/* pl-traffic: the real traffic of the XDP system test, without nc/socat.
 *
 *   pl-traffic udp ADDR PORT COUNT [BYTES]   send exactly COUNT UDP datagrams of
 *                                            BYTES of payload (default 64; 8972
 *                                            fills a 9000-byte MTU)
 *   pl-traffic serve SECONDS PORT [PORT...]  accept TCP connections (and close them)
 *   pl-traffic connect ADDR PORT TIMEOUT_MS  exit 0 if a TCP connection is made, 1 if not
 *
 * ADDR is IPv4 or IPv6 (numeric). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Resolve a numeric address and port; 0 or -1 after printing why. */
static int resolve(const char *addr, const char *port, int type, struct addrinfo **ai)
{
	struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	int err = getaddrinfo(addr, port, &hints, ai);

	if (err)
		fprintf(stderr, "pl-traffic: %s port %s: %s\n", addr, port, gai_strerror(err));
	return err ? -1 : 0;
}

/* Send count datagrams of size bytes (at most 65507). */
static int cmd_udp(const char *addr, const char *port, long count, long size)
{
	static char payload[65507];
	struct addrinfo *ai;
	int fd;

	if (size < 0 || size > (long)sizeof(payload)) {
		fprintf(stderr, "pl-traffic: payload of %ld bytes: 0 to %zu\n", size, sizeof(payload));
		return 2;
	}
	if (resolve(addr, port, SOCK_DGRAM, &ai))
		return 2;
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("pl-traffic: socket");
		return 2;
	}
	memset(payload, 'x', (size_t)size);
	for (long i = 0; i < count; i++) {
		if (sendto(fd, payload, (size_t)size, 0, ai->ai_addr, ai->ai_addrlen) < 0) {
			fprintf(stderr, "pl-traffic: sendto (datagram %ld): %s\n", i, strerror(errno));
			return 1;
		}
		if (i % 16 == 15)
			usleep(1000); /* stay well inside the veth ring */
	}
	printf("sent %ld UDP datagrams to %s port %s\n", count, addr, port);
	close(fd);
	freeaddrinfo(ai);
	return 0;
}

/* Accept (and close) connections on every port for `seconds`. */
static int cmd_serve(double seconds, int n, char **ports)
{
	struct pollfd pfd[16];
	struct timespec t0, t;

	if (n > 16)
		n = 16;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT,
					   .sin6_port = htons((unsigned short)atoi(ports[i])) };
		int one = 1, zero = 0;

		pfd[i].fd = socket(AF_INET6, SOCK_STREAM, 0);
		pfd[i].events = POLLIN;
		setsockopt(pfd[i].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(pfd[i].fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (pfd[i].fd < 0 || bind(pfd[i].fd, (void *)&sa, sizeof(sa)) || listen(pfd[i].fd, 64)) {
			fprintf(stderr, "pl-traffic: listen on port %s: %s\n", ports[i], strerror(errno));
			return 2;
		}
	}
	printf("listening\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
			break;
		if (poll(pfd, n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN) {
				int c = accept(pfd[i].fd, NULL, NULL);

				if (c >= 0) {
					/* the client may be gone: nothing to do then */
					(void)!write(c, "ok\n", 3);
					close(c);
				}
			}
	}
	return 0;
}

/* Connect within timeout_ms: 0 connected, 1 not. */
static int cmd_connect(const char *addr, const char *port, int timeout_ms)
{
	struct pollfd pfd;
	struct addrinfo *ai;
	socklen_t len = sizeof(int);
	int fd, err = 0;

	if (resolve(addr, port, SOCK_STREAM, &ai))
		return 2;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("pl-traffic: socket");
		return 2;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		printf("connect %s port %s: %s\n", addr, port, strerror(errno));
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) != 1) {
		printf("connect %s port %s: no answer within %d ms\n", addr, port, timeout_ms);
		return 1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("connect %s port %s: %s\n", addr, port, err ? strerror(err) : "connected");
	close(fd);
	freeaddrinfo(ai);
	return err ? 1 : 0;
}

/* Dispatch the subcommand. */
int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "udp"))
		return cmd_udp(argv[2], argv[3], atol(argv[4]), argc == 6 ? atol(argv[5]) : 64);
	if (argc >= 4 && !strcmp(argv[1], "serve"))
		return cmd_serve(atof(argv[2]), argc - 3, argv + 3);
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return cmd_connect(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: pl-traffic udp ADDR PORT COUNT [BYTES] | serve SECONDS PORT... | connect ADDR PORT TIMEOUT_MS\n");
	return 2;
}
