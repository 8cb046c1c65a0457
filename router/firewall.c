/* firewall.c — backend choice and the shared naming of shoald's host rules.
 * Contract: include/shoal/firewall.h; the backends are firewall_iptc.c and firewall_nft.c. */
#include "shoal/firewall.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void shoal_fw_comment(const char *ifname, char out[SHOAL_FW_COMMENT_MAX])
{
	snprintf(out, SHOAL_FW_COMMENT_MAX, "shoald %s", ifname);
}

const char *shoal_fw_role_name(enum shoal_fw_role role)
{
	switch (role) {
	case SHOAL_FW_ROLE_MARK:
		return "mark";
	case SHOAL_FW_ROLE_MASQUERADE:
		return "masquerade";
	case SHOAL_FW_ROLE_OTHER:
		break;
	}
	return "other";
}

enum shoal_config_firewall shoal_fw_auto(void)
{
	static const char *const paths[] = {"/usr/sbin/iptables", "/sbin/iptables"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char real[PATH_MAX];
		if (realpath(paths[i], real) == NULL)
			continue;
		const char *base = strrchr(real, '/');
		base = base ? base + 1 : real;
		if (strstr(base, "legacy"))
			return SHOAL_CONFIG_FW_LEGACY;
		return SHOAL_CONFIG_FW_NFT;
	}
	return SHOAL_CONFIG_FW_NFT;
}

const struct shoal_fw_backend *shoal_fw_backend_for(enum shoal_config_firewall which)
{
	if (which == SHOAL_CONFIG_FW_AUTO)
		which = shoal_fw_auto();
	return which == SHOAL_CONFIG_FW_LEGACY ? &shoal_fw_iptc : &shoal_fw_nft;
}
