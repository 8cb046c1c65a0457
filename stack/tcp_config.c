/* tcp_config.c — TCP configuration defaults; contract in include/shoal/tcp_config.h. */
#include "shoal/tcp_config.h"

#include <string.h>

void shoal_tcp_config_defaults(struct shoal_tcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->isn = 0;
	cfg->rt_timeout_ms = 1000;
	cfg->send_capacity = 64000;
	cfg->recv_capacity = 64000;
	cfg->max_payload = 1000;
	cfg->max_retransmissions = 8;
	cfg->window_cap = SHOAL_TCP_MAX_WINDOW;
	cfg->linger_factor = 10;
	cfg->max_outstanding_segments = 4096;
	cfg->options = SHOAL_TCP_OPT_NONE;
	cfg->mss = 0;
	cfg->wscale = 7;
	cfg->ts_offset = 0;
	cfg->min_rto_ms = 1000;
	cfg->max_rto_ms = 60000;
	cfg->dupack_threshold = 3;
	cfg->initial_cwnd_segs = 0;
	cfg->delack_ms = 200;
	cfg->keepalive_idle_ms = 7200000;
	cfg->keepalive_intvl_ms = 75000;
	cfg->keepalive_probes = 9;
	cfg->msl_ms = 30000;
	cfg->challenge_ack_limit = 1000;
}
