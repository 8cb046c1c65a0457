/*
 * udp_flows.c — new-UDP-flow generator and counter for tests/bench/bench_nat.sh.
 *
 *   udp_flows send SRC_NET HOSTS PORT_BASE FLOWS DST PORT [RATE [TAG]]
 *       sends FLOWS UDP datagrams (8 bytes of payload) to DST:PORT from a raw socket
 *       (IP_HDRINCL), each from a new source: the host part cycles over SRC_NET + 2 ..
 *       SRC_NET + 1 + HOSTS fastest, the source port goes up from PORT_BASE every HOSTS
 *       datagrams. RATE (datagrams/s, 0 or absent: as fast as the socket takes them) paces
 *       the sending on an absolute schedule (datagram i due at i / RATE s), so a late wake-up
 *       is caught up rather than lost; TAG (0..63, default 0) goes into the payload.
 *       Prints "sent N in S s" (monotonic clock around the send loop): N / S is the rate
 *       actually offered, which is below RATE when the path makes sendto wait.
 *   udp_flows recv PORT IDLE_MS MAX_MS [PORTS]
 *       counts datagrams on UDP PORT .. PORT + PORTS - 1 (PORTS 1..64, default 1) until IDLE_MS
 * without one (after the first), MAX_MS, or SIGTERM/SIGINT; prints "received N in S s" (first to
 * last datagram), then "tag T N" for every tag seen. No allocation after start; exits 1 on a setup
 * error, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double flows_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { FLOWS_TAGS = 64 };

static volatile sig_atomic_t flows_stop;

static void flows_on_signal(int sig)
{
	(void)sig;
	flows_stop = 1;
}

static void flows_sleep_until(double t)
{
	struct timespec ts = {.tv_sec = (time_t)t,
	                      .tv_nsec = (long)((t - (double)(time_t)t) * 1e9)};
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int flows_send(int argc, char **argv)
{
	struct in_addr net, dst;
	long hosts = strtol(argv[1], NULL, 10), base = strtol(argv[2], NULL, 10);
	long flows = strtol(argv[3], NULL, 10), port = strtol(argv[5], NULL, 10);
	double rate = argc > 6 ? strtod(argv[6], NULL) : 0;
	long tag = argc > 7 ? strtol(argv[7], NULL, 10) : 0;
	if (rate < 0 || rate > 1e8 || tag < 0 || tag >= FLOWS_TAGS) {
		fprintf(stderr, "udp_flows send: bad arguments\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[0], &net) != 1 || inet_pton(AF_INET, argv[4], &dst) != 1 ||
	    hosts < 1 || hosts > 250 || base < 1 || base > 65535 || flows < 1 || port < 1 ||
	    port > 65535 || base + flows / hosts > 65535) {
		fprintf(stderr, "udp_flows send: bad arguments\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("udp_flows: raw socket");
		return 1;
	}
	int sndbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	struct {
		struct iphdr ip;
		struct udphdr udp;
		uint8_t payload[8];
	} __attribute__((packed)) d;
	memset(&d, 0, sizeof(d));
	d.ip.version = 4;
	d.ip.ihl = 5;
	d.ip.ttl = 64;
	d.ip.protocol = IPPROTO_UDP;
	d.ip.tot_len = htons(sizeof(d));
	d.ip.daddr = dst.s_addr;
	d.udp.dest = htons((uint16_t)port);
	d.udp.len = htons(sizeof(d.udp) + sizeof(d.payload));
	d.payload[0] = (uint8_t)tag;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
	uint32_t first = ntohl(net.s_addr) + 2;
	long sent = 0;
	double t0 = flows_now();
	for (long i = 0; i < flows; i++) {
		if (rate > 0) {
			double due = t0 + (double)i / rate;
			if (flows_now() < due)
				flows_sleep_until(due);
		}
		d.ip.saddr = htonl(first + (uint32_t)(i % hosts));
		d.udp.source = htons((uint16_t)(base + i / hosts));
		/* UDP checksum 0: none (RFC 768); the kernel fills the IP checksum and id */
		while (sendto(fd, &d, sizeof(d), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("udp_flows: sendto");
				close(fd);
				return 1;
			}
			usleep(50);
		}
		sent++;
	}
	double t = flows_now() - t0;
	printf("sent %ld in %.6f s\n", sent, t);
	close(fd);
	return 0;
}

static int flows_recv(int argc, char **argv)
{
	long port = strtol(argv[0], NULL, 10), idle = strtol(argv[1], NULL, 10);
	long max = strtol(argv[2], NULL, 10), ports = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
	if (port < 1 || idle < 1 || max < 1 || ports < 1 || ports > FLOWS_TAGS ||
	    port + ports - 1 > 65535) {
		fprintf(stderr, "udp_flows recv: bad arguments\n");
		return 2;
	}
	struct pollfd p[FLOWS_TAGS];
	for (long i = 0; i < ports; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int rcvbuf = 8 << 20;
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons((uint16_t)(port + i))};
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("udp_flows: bind");
			if (fd >= 0)
				close(fd);
			while (i-- > 0)
				close(p[i].fd);
			return 1;
		}
		p[i] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	signal(SIGTERM, flows_on_signal);
	signal(SIGINT, flows_on_signal);
	printf("ready\n");
	fflush(stdout);
	long n = 0, tags[FLOWS_TAGS] = {0};
	double start = flows_now(), first = 0, last = 0;
	uint8_t buf[2048];
	for (;;) {
		double now = flows_now();
		if (flows_stop || (now - start) * 1000 > (double)max ||
		    (n > 0 && (now - last) * 1000 > (double)idle))
			break;
		if (poll(p, (nfds_t)ports, 20) <= 0)
			continue;
		for (long i = 0; i < ports; i++) {
			ssize_t got;
			while ((got = recv(p[i].fd, buf, sizeof(buf), 0)) >= 0) {
				last = flows_now();
				if (got > 0 && buf[0] < FLOWS_TAGS)
					tags[buf[0]]++;
				if (n++ == 0)
					first = last;
			}
		}
	}
	printf("received %ld in %.6f s\n", n, n ? last - first : 0.0);
	for (int t = 0; t < FLOWS_TAGS; t++)
		if (tags[t])
			printf("tag %d %ld\n", t, tags[t]);
	for (long i = 0; i < ports; i++)
		close(p[i].fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 8 && argc <= 10 && strcmp(argv[1], "send") == 0)
		return flows_send(argc - 2, argv + 2);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "recv") == 0)
		return flows_recv(argc - 2, argv + 2);
	fprintf(stderr,
	        "usage: udp_flows send SRC_NET HOSTS PORT_BASE FLOWS DST PORT [RATE [TAG]]\n"
	        "       udp_flows recv PORT IDLE_MS MAX_MS\n");
	return 2;
}
