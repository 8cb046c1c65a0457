/* tcp_isn.c — RFC 6528 initial sequence numbers; contract in include/shoal/tcp_isn.h. */
#include "shoal/tcp_isn.h"

#include "shoal/wire.h"

uint32_t shoal_tcp_isn(const uint8_t key[SHOAL_SIPHASH_KEY_LEN], uint32_t local_ip,
                       uint16_t local_port, uint32_t remote_ip, uint16_t remote_port,
                       uint64_t now_us)
{
	uint8_t id[12];
	shoal_store_be32(id, local_ip);
	shoal_store_be32(id + 4, remote_ip);
	shoal_store_be16(id + 8, local_port);
	shoal_store_be16(id + 10, remote_port);
	uint32_t f = (uint32_t)shoal_siphash24(key, id, sizeof(id));
	uint32_t m = (uint32_t)(now_us / 4);
	return m + f;
}
