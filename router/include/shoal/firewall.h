/*
 * firewall.h — the host's NAT rules for shoald's uplink, through one of two backends.
 *
 * Role: install, find, read back (with packet/byte counters) and remove the two rules of the
 * seed setup for one TUN interface IF with connection mark M:
 *   nat PREROUTING:  connections entering through IF get conntrack mark M (CONNMARK)
 *   nat POSTROUTING: connections with conntrack mark M are masqueraded (MASQUERADE)
 * The mark rule matches the input interface rather than the TUN's source subnet (as the seed
 * did) so that the networks shoald routes (its LANs) are covered too, not only the TUN's own
 * addresses.
 *
 * Backends (one struct of function pointers each, in shoal_fw_backends[]):
 *   "iptables-legacy" (firewall_iptc.c): libiptc (libip4tc) on the legacy nat table. Every rule
 *     carries the comment "shoald IF" (xt_comment): that comment is how shoald finds its rules
 *     again; rules without it are never touched.
 *   "nftables" (firewall_nft.c): libnftnl over libmnl. shoald owns the table `ip shoal` with
 *     the base chains prerouting (nat, dstnat) and postrouting (nat, srcnat); each rule carries
 *     the comment "shoald IF" as nft userdata. Removing the table removes everything; install
 *     replaces the table atomically in one batch (add, delete, add), so it never duplicates.
 * shoal_fw_auto() picks the backend the host's `iptables` command uses: it resolves the
 * /usr/sbin/iptables symlink chain (Debian alternatives): a target named *nft* means
 * nftables, *legacy* means iptables-legacy; without an iptables binary, nftables.
 *
 * Idempotence: install first removes every rule of ours for IF (a leftover of a killed
 * shoald), then adds the two rules: never a duplicate. remove deletes only our rules for IF
 * and reports how many it removed; a missing table/chain/rule is not an error.
 *
 * Errors: functions return 0 or a negative errno with one line in err naming the backend and
 * the operation, e.g. "iptables-legacy: nat table: Table does not exist (do you need to
 * insmod?)". Nothing is left half-installed: a failing install removes what it added.
 *
 * Threads: no global state in shoald's code; each call opens its own handle/socket, so calls
 * may run on any thread (the API's reads run on the HTTP thread). Not for packet paths.
 */
#ifndef SHOAL_FIREWALL_H
#define SHOAL_FIREWALL_H

#include <stddef.h>
#include <stdint.h>

#include "shoal/config.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	SHOAL_FW_COMMENT_MAX = 32, /* "shoald " + interface name + NUL */
	SHOAL_FW_TEXT_MAX = 256,
	SHOAL_FW_RULES_MAX = 16, /* rules of ours listed at most (we install 2) */
};

/* What a rule of ours does. */
enum shoal_fw_role {
	SHOAL_FW_ROLE_MARK,       /* nat PREROUTING: CONNMARK set mark */
	SHOAL_FW_ROLE_MASQUERADE, /* nat POSTROUTING: connmark match, MASQUERADE */
	SHOAL_FW_ROLE_OTHER,      /* carries our comment but is neither (changed behind us) */
};

/* What to install. */
struct shoal_fw_spec {
	const char *ifname; /* the TUN */
	uint32_t mark;
};

/* One rule of ours as read back from the kernel. */
struct shoal_fw_rule {
	enum shoal_fw_role role;
	char chain[32];
	char text[SHOAL_FW_TEXT_MAX]; /* iptables -S style (legacy) or nft expressions */
	uint32_t mark;                /* the mark it sets or matches (0 if none) */
	char ifname[16];              /* the input interface it matches ("" if none) */
	uint64_t packets;
	uint64_t bytes;
};

struct shoal_fw_backend {
	const char *name; /* "iptables-legacy", "nftables" */
	/* The table/where shoald's rules live, for humans: "nat table (legacy)", "table ip shoal"
	 */
	const char *where;
	int (*install)(const struct shoal_fw_spec *spec, char *err, size_t err_size);
	/* Removes our rules for ifname; *removed (may be NULL) gets how many went. */
	int (*remove)(const char *ifname, unsigned *removed, char *err, size_t err_size);
	/* Lists our rules for ifname: at most cap in out, the number found in *total. */
	int (*list)(const char *ifname, struct shoal_fw_rule *out, size_t cap, size_t *total,
	            char *err, size_t err_size);
};

extern const struct shoal_fw_backend shoal_fw_iptc;
extern const struct shoal_fw_backend shoal_fw_nft;

/* The backend for a configuration value; AUTO resolves through shoal_fw_auto(). */
const struct shoal_fw_backend *shoal_fw_backend_for(enum shoal_config_firewall which);
/* What the host's iptables uses (see above). */
enum shoal_config_firewall shoal_fw_auto(void);
/* "shoald IF": the comment that marks our rules. */
void shoal_fw_comment(const char *ifname, char out[SHOAL_FW_COMMENT_MAX]);
/* "mark", "masquerade", "other". */
const char *shoal_fw_role_name(enum shoal_fw_role role);

#ifdef __cplusplus
}
#endif

#endif
