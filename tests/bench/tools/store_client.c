/*
 * store_client — the client of tests/bench/bench_store.sh: durable route writes through the
 * HTTP API, written in C so that the client's own cost (a Python client spent more CPU per
 * request than shoald) does not hide the server's.
 *
 *   store_client fsync_rate DIR SECONDS   small appends + fdatasync per second in DIR (the
 *                                         disk's reference)
 *   store_client [-p PORT] -t TOKEN one N POST N /24 routes from 20.0.0.0 one by one on one
 *                                         keep-alive connection; prints "first_1000_rate
 *                                         last_1000_rate overall_rate" (routes/s)
 *   store_client ... concurrent C N       C clients (threads, one connection each) POST N /24
 *                                         routes from 40.0.0.0 in all; prints routes/s
 *   store_client ... batch N B            POST N /24 routes from 60.0.0.0 in batches of B;
 *                                         prints "first_rate last_rate overall_rate" (first,
 *                                         last: the first and last 10% of the batches)
 *
 * Every answer must be 201 (one route) or 200 (a batch): the route is on disk then; anything
 * else is an error (exit 1, the answer on stderr). HTTP/1.1 with keep-alive on 127.0.0.1;
 * answers are read whole (Content-Length) before the next request goes out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CLIENT_BUF = 64 * 1024, CLIENTS_MAX = 64 };

struct client {
	int fd;
	char buf[CLIENT_BUF]; /* the answer being read */
	size_t have;
};

static unsigned g_port = 8144;
static const char *g_token = "";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The i-th /24 from base.0.0.0 upward. */
static int prefix_format(char *out, size_t size, unsigned base, unsigned i)
{
	return snprintf(out, size, "%u.%u.%u.0/24", base + (i >> 16), (i >> 8) & 255u, i & 255u);
}

static int client_open(struct client *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->have = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(c->fd);
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* POSTs body to path and reads the whole answer; returns the status (-1: I/O error). The
 * answer's body (possibly cut to the buffer) is left in c->buf for error messages. */
static int client_post(struct client *c, const char *path, const char *body, size_t len)
{
	char head[512];
	int h = snprintf(head, sizeof(head),
	                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	                 path, g_port, g_token, len);
	if (h < 0 || (size_t)h >= sizeof(head))
		return -1;
	if (write_all(c->fd, head, (size_t)h) < 0 || write_all(c->fd, body, len) < 0)
		return -1;
	c->have = 0;
	char *end = NULL;
	while (!end) {
		if (c->have + 1 >= sizeof(c->buf))
			return -1;
		ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c->have += (size_t)r;
		c->buf[c->have] = '\0';
		end = strstr(c->buf, "\r\n\r\n");
	}
	int status = 0;
	if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	const char *cl = strcasestr(c->buf, "\r\nContent-Length:");
	if (!cl || cl > end)
		return -1;
	size_t body_len = strtoul(cl + 17, NULL, 10);
	size_t want = (size_t)(end + 4 - c->buf) + body_len;
	size_t keep = (size_t)(end + 4 - c->buf);
	while (c->have < want) { /* the body: kept while it fits, then drained */
		char *dst = c->buf + c->have;
		size_t room = sizeof(c->buf) - 1 - c->have;
		char sink[4096];
		if (room == 0) {
			dst = sink;
			room = sizeof(sink);
		}
		if (room > want - c->have)
			room = want - c->have;
		ssize_t r = read(c->fd, dst, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (dst == sink)
			want -= (size_t)r; /* drained bytes are not kept */
		else
			c->have += (size_t)r;
	}
	c->buf[c->have] = '\0';
	memmove(c->buf, c->buf + keep, c->have - keep + 1);
	return status;
}

static int route_body(char *out, size_t size, unsigned base, unsigned i)
{
	char p[32];
	prefix_format(p, sizeof(p), base, i);
	return snprintf(out, size, "{\"prefix\": \"%s\", \"next_hop\": \"10.0.2.2\"}", p);
}

static int post_route(struct client *c, unsigned base, unsigned i)
{
	char body[128];
	int n = route_body(body, sizeof(body), base, i);
	int st = client_post(c, "/api/v1/routes", body, (size_t)n);
	if (st != 201) {
		char p[32];
		prefix_format(p, sizeof(p), base, i);
		fprintf(stderr, "POST %s: %d %.300s\n", p, st, c->buf);
		return -1;
	}
	return 0;
}

static int cmd_fsync_rate(const char *dir, double seconds)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/fsync-reference.tmp", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	char x[100];
	memset(x, 'x', sizeof(x));
	unsigned long n = 0;
	double t0 = now_s(), t = t0;
	while (t < t0 + seconds) {
		if (write_all(fd, x, sizeof(x)) < 0 || fdatasync(fd) < 0) {
			perror(path);
			close(fd);
			unlink(path);
			return 1;
		}
		n++;
		t = now_s();
	}
	close(fd);
	unlink(path);
	printf("%.0f\n", (double)n / (t - t0));
	return 0;
}

static int cmd_one(unsigned n)
{
	static struct client c;
	if (client_open(&c) < 0) {
		perror("connect");
		return 1;
	}
	unsigned first_n = n < 1000 ? n : 1000;
	unsigned last0 = n > 1000 ? n - 1000 : 0;
	double t0 = now_s(), t_first = 0, t_last0 = t0;
	for (unsigned i = 0; i < n; i++) {
		if (i == first_n)
			t_first = now_s();
		if (i == last0)
			t_last0 = now_s();
		if (post_route(&c, 20, i) < 0) {
			close(c.fd);
			return 1;
		}
	}
	double t1 = now_s();
	if (t_first == 0)
		t_first = t1;
	close(c.fd);
	printf("%.0f %.0f %.0f\n", first_n / (t_first - t0), (n - last0) / (t1 - t_last0),
	       n / (t1 - t0));
	return 0;
}

struct worker {
	pthread_t th;
	pthread_barrier_t *start;
	unsigned first, count;
	int rc;
	struct client c;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	w->rc = client_open(&w->c);
	pthread_barrier_wait(w->start);
	if (w->rc < 0)
		return NULL;
	for (unsigned j = 0; j < w->count && w->rc == 0; j++)
		w->rc = post_route(&w->c, 40, w->first + j);
	close(w->c.fd);
	return NULL;
}

static int cmd_concurrent(unsigned nc, unsigned n)
{
	if (nc == 0 || nc > CLIENTS_MAX) {
		fprintf(stderr, "concurrent: 1..%d clients\n", CLIENTS_MAX);
		return 1;
	}
	struct worker *w = calloc(nc, sizeof(*w));
	pthread_barrier_t start;
	if (!w || pthread_barrier_init(&start, NULL, nc + 1) != 0) {
		free(w);
		return 1;
	}
	unsigned per = n / nc;
	for (unsigned k = 0; k < nc; k++) {
		w[k] = (struct worker){.start = &start, .first = k * per, .count = per};
		if (pthread_create(&w[k].th, NULL, worker_run, &w[k]) != 0) {
			fprintf(stderr, "concurrent: cannot start a thread\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&start);
	double t0 = now_s();
	int rc = 0;
	for (unsigned k = 0; k < nc; k++) {
		pthread_join(w[k].th, NULL);
		rc |= w[k].rc;
	}
	double dt = now_s() - t0;
	pthread_barrier_destroy(&start);
	free(w);
	if (rc) {
		fprintf(stderr, "concurrent: a client failed\n");
		return 1;
	}
	printf("%.0f\n", per * nc / dt);
	return 0;
}

static int cmd_batch(unsigned n, unsigned b)
{
	if (b == 0)
		return 1;
	size_t nb = (n + b - 1) / b, cap = (size_t)b * 80 + 64;
	char *body = malloc(cap);
	double *dt = calloc(nb, sizeof(*dt));
	unsigned *cnt = calloc(nb, sizeof(*cnt));
	static struct client c;
	if (!body || !dt || !cnt || client_open(&c) < 0) {
		fprintf(stderr, "batch: setup failed\n");
		return 1;
	}
	int rc = 0;
	for (size_t k = 0; k < nb && rc == 0; k++) {
		unsigned s = (unsigned)k * b, e = s + b < n ? s + b : n;
		size_t len = (size_t)snprintf(body, cap, "{\"operations\": [");
		for (unsigned i = s; i < e; i++) {
			char p[32];
			prefix_format(p, sizeof(p), 60, i);
			len += (size_t)snprintf(
			    body + len, cap - len,
			    "%s{\"op\": \"add\", \"prefix\": \"%s\", \"next_hop\": "
			    "\"10.0.2.2\"}",
			    i > s ? ", " : "", p);
		}
		len += (size_t)snprintf(body + len, cap - len, "]}");
		cnt[k] = e - s;
		double t = now_s(); /* the request alone: building the body is not timed */
		int st = client_post(&c, "/api/v1/routes:batch", body, len);
		dt[k] = now_s() - t;
		if (st != 200) {
			fprintf(stderr, "batch: %d %.300s\n", st, c.buf);
			rc = 1;
		}
	}
	close(c.fd);
	if (rc == 0) {
		size_t k10 = nb / 10 ? nb / 10 : 1;
		double r[3];
		for (int part = 0; part < 3; part++) {
			size_t from = part == 1 ? nb - k10 : 0, to = part == 0 ? k10 : nb;
			double sum_n = 0, sum_t = 0;
			for (size_t k = from; k < to; k++) {
				sum_n += cnt[k];
				sum_t += dt[k];
			}
			r[part] = sum_n / sum_t;
		}
		printf("%.0f %.0f %.0f\n", r[0], r[1], r[2]);
	}
	free(cnt);
	free(dt);
	free(body);
	return rc;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: store_client fsync_rate DIR SECONDS\n"
	        "       store_client [-p PORT] -t TOKEN one N | concurrent C N | batch N B\n");
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-p") == 0)
			g_port = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "-t") == 0)
			g_token = argv[i + 1];
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	const char *cmd = argv[i];
	int left = argc - i - 1;
	char **a = argv + i + 1;
	if (strcmp(cmd, "fsync_rate") == 0 && left == 2)
		return cmd_fsync_rate(a[0], strtod(a[1], NULL));
	if (strcmp(cmd, "one") == 0 && left == 1)
		return cmd_one((unsigned)strtoul(a[0], NULL, 10));
	if (strcmp(cmd, "concurrent") == 0 && left == 2)
		return cmd_concurrent((unsigned)strtoul(a[0], NULL, 10),
		                      (unsigned)strtoul(a[1], NULL, 10));
	if (strcmp(cmd, "batch") == 0 && left == 2)
		return cmd_batch((unsigned)strtoul(a[0], NULL, 10),
		                 (unsigned)strtoul(a[1], NULL, 10));
	return usage();
}
