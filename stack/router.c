/*
 * router.c — router core. Contract in shoal/router.h.
 */
#include "shoal/router.h"

#include <stdlib.h>

#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/lpm.h"
#include "shoal/wire.h"

#define SHOAL_ROUTER_NAME_(suffix, name, desc) name,
const char *const shoal_router_drop_names[SHOAL_ROUTER_DROP_COUNT_] = {
    SHOAL_ROUTER_DROPS(SHOAL_ROUTER_NAME_)};
#undef SHOAL_ROUTER_NAME_
#define SHOAL_ROUTER_DESC_(suffix, name, desc) desc,
const char *const shoal_router_drop_descs[SHOAL_ROUTER_DROP_COUNT_] = {
    SHOAL_ROUTER_DROPS(SHOAL_ROUTER_DESC_)};
#undef SHOAL_ROUTER_DESC_

enum {
	ROUTER_TTL_OFFSET = 8,
	ROUTER_DST_OFFSET = 16,
};

struct shoal_router {
	struct shoal_router_config cfg;
	struct shoal_lpm *lpm;
	struct shoal_netif **ifs;
	size_t if_count;
	struct shoal_router_stats stats;
};

struct shoal_router *shoal_router_create(const struct shoal_router_config *cfg)
{
	struct shoal_router *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (cfg)
		r->cfg = *cfg;
	if (!r->cfg.max_interfaces)
		r->cfg.max_interfaces = SHOAL_ROUTER_DEFAULT_MAX_INTERFACES;
	struct shoal_lpm_config lc = {.max_routes = r->cfg.max_routes};
	r->ifs = calloc(r->cfg.max_interfaces, sizeof(*r->ifs));
	r->lpm = shoal_lpm_create(&lc);
	if (!r->ifs || !r->lpm) {
		shoal_router_destroy(r);
		return NULL;
	}
	return r;
}

void shoal_router_destroy(struct shoal_router *r)
{
	if (!r)
		return;
	shoal_lpm_destroy(r->lpm);
	free(r->ifs);
	free(r);
}

enum shoal_router_status shoal_router_add_interface(struct shoal_router *r, struct shoal_netif *n,
                                                    size_t *ifindex)
{
	if (r->if_count == r->cfg.max_interfaces)
		return SHOAL_ROUTER_FULL;
	if (ifindex)
		*ifindex = r->if_count;
	r->ifs[r->if_count++] = n;
	return SHOAL_ROUTER_OK;
}

size_t shoal_router_interface_count(const struct shoal_router *r)
{
	return r->if_count;
}

struct shoal_netif *shoal_router_interface(const struct shoal_router *r, size_t ifindex)
{
	return ifindex < r->if_count ? r->ifs[ifindex] : NULL;
}

enum shoal_router_status shoal_router_add_route(struct shoal_router *r, uint32_t prefix,
                                                unsigned prefix_len, const uint32_t *next_hop,
                                                size_t ifindex)
{
	if (ifindex >= r->if_count)
		return SHOAL_ROUTER_BAD_INTERFACE;
	struct shoal_lpm_nh nh = {.gateway = next_hop ? *next_hop : 0,
	                          .ifindex = (uint32_t)ifindex,
	                          .has_gateway = next_hop != NULL};
	switch (shoal_lpm_insert(r->lpm, prefix, prefix_len, &nh)) {
	case SHOAL_LPM_OK:
		return SHOAL_ROUTER_OK;
	case SHOAL_LPM_EXISTS:
		return SHOAL_ROUTER_EXISTS;
	case SHOAL_LPM_BAD_LENGTH:
		return SHOAL_ROUTER_BAD_LENGTH;
	case SHOAL_LPM_FULL:
		return SHOAL_ROUTER_FULL;
	default:
		return SHOAL_ROUTER_NO_MEMORY;
	}
}

static enum shoal_router_result router_drop(struct shoal_router *r, enum shoal_router_drop why,
                                            size_t in_ifindex, const uint8_t *datagram, size_t len)
{
	r->stats.drops[why]++;
	if (r->cfg.drop)
		r->cfg.drop(r->cfg.ctx, why, in_ifindex, datagram, len);
	return SHOAL_ROUTER_DROPPED;
}

bool shoal_router_decide(const struct shoal_lpm *lpm, size_t n_ifs, const uint8_t *datagram,
                         size_t len, struct shoal_router_hop *hop, enum shoal_router_drop *why)
{
	if (len < SHOAL_IPV4_MIN_HDR_LEN) {
		*why = SHOAL_ROUTER_DROP_BAD_DATAGRAM;
		return false;
	}
	if (datagram[ROUTER_TTL_OFFSET] <= 1) {
		*why = SHOAL_ROUTER_DROP_TTL_EXPIRED;
		return false;
	}
	uint32_t dst = shoal_load_be32(datagram + ROUTER_DST_OFFSET);
	uint32_t id = shoal_lpm_lookup(lpm, dst);
	if (id == SHOAL_LPM_MISS) {
		*why = SHOAL_ROUTER_DROP_NO_ROUTE;
		return false;
	}
	const struct shoal_lpm_nh *nh = shoal_lpm_nh_get(lpm, id);
	if (nh->ifindex >= n_ifs) {
		*why = SHOAL_ROUTER_DROP_BAD_INTERFACE;
		return false;
	}
	hop->ifindex = nh->ifindex;
	hop->next_hop = nh->has_gateway ? nh->gateway : dst;
	hop->nh_id = id;
	return true;
}

enum shoal_router_result shoal_router_forward(struct shoal_router *r, size_t in_ifindex,
                                              uint8_t *buf, size_t len)
{
	uint8_t *d = buf + SHOAL_ETH_HDR_LEN;
	struct shoal_router_hop hop;
	enum shoal_router_drop why;
	if (!shoal_router_decide(r->lpm, r->if_count, d, len, &hop, &why))
		return router_drop(r, why, in_ifindex, d, len);
	shoal_ipv4_ttl_decrement(d);
	r->stats.forwarded++;
	shoal_netif_send_datagram_headroom(r->ifs[hop.ifindex], buf, len, hop.next_hop);
	return SHOAL_ROUTER_FORWARDED;
}

size_t shoal_router_route(struct shoal_router *r)
{
	size_t handled = 0;
	for (size_t i = 0; i < r->if_count; i++) {
		struct shoal_netif *n = r->ifs[i];
		size_t len;
		uint8_t *d;
		while ((d = shoal_netif_rx_peek(n, &len)) != NULL) {
			shoal_router_forward(r, i, d - SHOAL_ETH_HDR_LEN, len);
			shoal_netif_rx_pop(n);
			handled++;
		}
	}
	return handled;
}

const struct shoal_router_stats *shoal_router_stats(const struct shoal_router *r)
{
	return &r->stats;
}
