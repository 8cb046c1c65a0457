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
}
