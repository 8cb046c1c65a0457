/*
 * udp_flows.c — new-UDP-flow generator and counter for tests/bench/bench_nat.sh.
 *
 *   udp_flows send SRC_NET HOSTS PORT_BASE FLOWS DST PORT
 *       sends FLOWS UDP datagrams (8 bytes of payload) to DST:PORT from a raw socket
 *       (IP_HDRINCL), each from a new source: the host part cycles over SRC_NET + 2 ..
 *       SRC_NET + 1 + HOSTS fastest, the source port goes up from PORT_BASE every HOSTS
 *       datagrams. Prints "sent N in S s" (monotonic clock around the send loop).
 *   udp_flows recv PORT IDLE_MS MAX_MS
 *       counts datagrams on UDP PORT until IDLE_MS without one (after the first) or MAX_MS;
 *       prints "received N in S s" (first to last datagram).
 * No allocation after start; exits 1 on a setup error, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
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

static int flows_send(char **argv)
{
	struct in_addr net, dst;
	long hosts = strtol(argv[1], NULL, 10), base = strtol(argv[2], NULL, 10);
	long flows = strtol(argv[3], NULL, 10), port = strtol(argv[5], NULL, 10);
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
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
	uint32_t first = ntohl(net.s_addr) + 2;
	long sent = 0;
	double t0 = flows_now();
	for (long i = 0; i < flows; i++) {
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

static int flows_recv(char **argv)
{
	long port = strtol(argv[0], NULL, 10), idle = strtol(argv[1], NULL, 10);
	long max = strtol(argv[2], NULL, 10);
	if (port < 1 || port > 65535 || idle < 1 || max < 1) {
		fprintf(stderr, "udp_flows recv: bad arguments\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int rcvbuf = 32 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("udp_flows: bind");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	long n = 0;
	double start = flows_now(), first = 0, last = 0;
	uint8_t buf[2048];
	for (;;) {
		double now = flows_now();
		if ((now - start) * 1000 > (double)max ||
		    (n > 0 && (now - last) * 1000 > (double)idle))
			break;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0)
			continue;
		while (recv(fd, buf, sizeof(buf), 0) >= 0) {
			last = flows_now();
			if (n++ == 0)
				first = last;
		}
	}
	printf("received %ld in %.6f s\n", n, n ? last - first : 0.0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && strcmp(argv[1], "send") == 0)
		return flows_send(argv + 2);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return flows_recv(argv + 2);
	fprintf(stderr, "usage: udp_flows send SRC_NET HOSTS PORT_BASE FLOWS DST PORT\n"
	                "       udp_flows recv PORT IDLE_MS MAX_MS\n");
	return 2;
}
