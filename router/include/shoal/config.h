/*
 * config.h — shoald's configuration: the JSON file (or the built-in default) as plain structs.
 *
 * Role: shoal_config_load_file()/shoal_config_load_string() parse and validate a JSON document
 * of this shape (every key documented in docs/man/shoald.8):
 *   {"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24",
 *                    "mac": "02:00:00:00:01:01", "mtu": 1500, "offload": true}, ...],
 *    "routes":  [{"prefix": "0.0.0.0/0", "next_hop": "169.254.144.1", "interface": "up0"}],
 *    "plugins": [{"name": "example", "config": {}}],
 *    "plugin_dir": "/usr/lib/shoal/plugins",
 *    "api": {"listen": "127.0.0.1:8144", "token_file": "/var/lib/shoal/api.token",
 *            "javascript_dir": "/usr/share/javascript",
 *            "max_connections": 4096, "max_connections_per_ip": 64,
 *            "request_timeout_s": 10, "idle_timeout_s": 15},
 *    "user": "shoal",
 *    "state_dir": "/var/lib/shoal",
 *    "web_dir": "/usr/share/shoal/web",
 *    "icmp": {"rate_per_s": 1000, "burst": 50,
 *             "dest_interval_ms": 1000, "dest_burst": 6, "dest_max": 4096},
 *    "arp": {"give_up_ms": 15000}}
 * "interfaces" is required (at least one); every other key is optional and takes the default
 * of shoal_config_default(). Per interface "name", "kind", "address" are required; "mac"
 * (tap only; default derived from the name), "mtu" (default 1500) and "offload" (default true)
 * are optional; a tun interface may carry a "host" object (at most one interface does):
 *   "host": {"address": "169.254.144.1/24", "owner": "nobody", "rto_min_ms": 10,
 *            "masquerade": true, "mark": 144, "forwarding": true, "firewall": "auto"}
 * where "address" is required (inside the interface's network, same prefix length, not the
 * interface's own address) and the rest optional: owner (user name, 1..32 characters of
 * [A-Za-z0-9_.-], resolved at start), rto_min_ms 0..60000 (0 = kernel default), masquerade
 * false, mark 1..4294967295 (default 144), forwarding false, firewall "auto" |
 * "iptables-legacy" | "nftables". Per route "prefix" is required plus at least one of "next_hop"
 * and "interface"; without "interface" the route leaves through the interface whose connected
 * network holds the next hop. Per plugin "name" is required, "config" (an object) optional.
 * Unknown keys are errors at every level.
 *
 * Errors: every problem found is reported as one line
 *   "<file>: <json path>: <what is wrong>"   e.g.
 *   "cfg.json: interfaces[1].address: \"10.0.1.300/24\" is not an IPv4 address/prefix"
 * and JSON syntax errors as "<file>:<line>:<column>: <jansson's text>". Parsing continues past
 * an error so one run reports (up to SHOAL_CONFIG_ERRORS_MAX) all of them.
 *
 * Limits (exceeding one is an error): SHOAL_CONFIG_MAX_INTERFACES interfaces,
 * SHOAL_CONFIG_MAX_ROUTES routes, SHOAL_CONFIG_MAX_PLUGINS plugins; interface names 1..15
 * characters of [A-Za-z0-9_.-] (not "." or ".."); plugin names 1..31 characters of
 * [a-z0-9_]; a plugin's config object at most SHOAL_CONFIG_PLUGIN_CONFIG_MAX - 1 bytes as
 * compact JSON; paths at most SHOAL_CONFIG_PATH_MAX - 1 bytes.
 *
 * Invariants of a struct that loaded (or validated) without errors: names unique; every
 * interface address is a host address (not 0/8, 127/8, 224/3, nor the network or broadcast
 * address of its prefix when the prefix is /30 or shorter) and the connected networks do not
 * overlap; every tap has a unicast non-zero MAC (has_mac tells whether it was given); every
 * route prefix is canonical (no host bits) and unique, its interface index is valid and its
 * next hop (when present) lies inside that interface's connected network and is not the
 * router's own address. Addresses are in host byte order.
 *
 * Ownership: the caller owns struct shoal_config (about 190 KiB: allocate it, don't put it
 * on a small stack); it holds no pointers, so it can be copied and needs no fini. On a
 * failed load its contents are unspecified (load into a scratch struct, swap when it succeeds
 * — that is how SIGHUP reload works). Not thread-safe per struct; no global state.
 */
#ifndef SHOAL_CONFIG_H
#define SHOAL_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The installed plugin and web directories (compile-time, from CMake's install layout), the
 * defaults of "plugin_dir" and "web_dir". */
#ifndef SHOAL_DEFAULT_PLUGIN_DIR
#define SHOAL_DEFAULT_PLUGIN_DIR "/usr/lib/shoal/plugins"
#endif
#ifndef SHOAL_DEFAULT_WEB_DIR
#define SHOAL_DEFAULT_WEB_DIR "/usr/share/shoal/web"
#endif

enum {
	SHOAL_CONFIG_MAX_INTERFACES = 64,
	SHOAL_CONFIG_MAX_ROUTES = 1024,
	SHOAL_CONFIG_MAX_PLUGINS = 32,
	SHOAL_CONFIG_IFNAME_MAX = 16,      /* IFNAMSIZ, including the NUL */
	SHOAL_CONFIG_PLUGIN_NAME_MAX = 32, /* as the plugin host: [a-z0-9_]{1,31} */
	SHOAL_CONFIG_PLUGIN_CONFIG_MAX = 4096,
	SHOAL_CONFIG_PATH_MAX = 4096,
	SHOAL_CONFIG_LISTEN_MAX = 64,
	SHOAL_CONFIG_ERRORS_MAX = 32,
	SHOAL_CONFIG_ERROR_LEN = 512,
	SHOAL_CONFIG_DEFAULT_MTU = 1500,
	SHOAL_CONFIG_MIN_MTU = 68,
	SHOAL_CONFIG_MAX_MTU = 65535,
	SHOAL_CONFIG_DEFAULT_API_PORT = 8144,
	SHOAL_CONFIG_DEFAULT_ICMP_RATE = 1000, /* ICMP errors per second, token bucket rate */
	SHOAL_CONFIG_DEFAULT_ICMP_BURST = 50,  /* token bucket depth */
	SHOAL_CONFIG_MAX_ICMP_RATE = 1000000,
	/* per destination, under the global bucket (as Linux: 1 per 1000 ms after 6) */
	SHOAL_CONFIG_DEFAULT_ICMP_DEST_INTERVAL_MS = 1000, /* 0: no per-destination limit */
	SHOAL_CONFIG_DEFAULT_ICMP_DEST_BURST = 6,
	SHOAL_CONFIG_DEFAULT_ICMP_DEST_MAX = 4096, /* destinations tracked (LRU evicted) */
	SHOAL_CONFIG_MAX_ICMP_DEST_INTERVAL_MS = 3600000,
	SHOAL_CONFIG_MAX_ICMP_DEST_MAX = 1000000,
	/* ARP: a next hop that does not answer within this is given up (host unreachable) */
	SHOAL_CONFIG_DEFAULT_ARP_GIVE_UP_MS = 15000,
	SHOAL_CONFIG_MIN_ARP_GIVE_UP_MS = 100,
	SHOAL_CONFIG_MAX_ARP_GIVE_UP_MS = 600000,
	/* forwarding.busy_poll_us: the data plane polls this long after traffic (0: off) */
	SHOAL_CONFIG_MAX_BUSY_POLL_US = 100000,
};

/* Firewall backend for the host rules of an uplink (interfaces[].host.firewall). */
enum shoal_config_firewall {
	SHOAL_CONFIG_FW_AUTO,   /* "auto": what the host's iptables uses (see firewall.h) */
	SHOAL_CONFIG_FW_LEGACY, /* "iptables-legacy": libiptc */
	SHOAL_CONFIG_FW_NFT,    /* "nftables": libnftnl, table ip shoal */
};

enum {
	SHOAL_CONFIG_USER_MAX = 33,              /* a user name (owner), including the NUL */
	SHOAL_CONFIG_MAX_RTO_MIN_MS = 60000,     /* host.rto_min_ms upper bound */
	SHOAL_CONFIG_DEFAULT_MARK = 144,         /* host.mark default (the seed's) */
	SHOAL_CONFIG_API_MAX_CONNECTIONS = 4096, /* api.max_connections default */
	SHOAL_CONFIG_API_MAX_CONNECTIONS_LIMIT = 65536,
	SHOAL_CONFIG_API_MAX_CONNECTIONS_PER_IP = 64, /* api.max_connections_per_ip default */
	SHOAL_CONFIG_API_REQUEST_TIMEOUT_S = 10,      /* api.request_timeout_s default */
	SHOAL_CONFIG_API_IDLE_TIMEOUT_S = 15,         /* api.idle_timeout_s default */
	SHOAL_CONFIG_API_TIMEOUT_MAX_S = 300,
};

/* The host side of a tun interface ("host" object, tun only, at most one interface): what
 * shoald sets up on the host for its uplink (router/hostcfg.h). */
struct shoal_config_host {
	bool present;
	uint32_t address;                  /* host order: the kernel side of the TUN */
	uint8_t prefix_len;                /* equal to the interface's */
	char owner[SHOAL_CONFIG_USER_MAX]; /* "" = not given; else shoald creates the TUN
	                                      persistent and owned by this user */
	unsigned rto_min_ms;               /* 0 = leave the kernel default */
	bool masquerade;                   /* CONNMARK + MASQUERADE rules */
	uint32_t mark;                     /* 1..0xffffffff, default 144 */
	bool forwarding;                   /* net.ipv4.ip_forward = 1 while running */
	enum shoal_config_firewall firewall;
};

/* Reverse-path filter of an interface ("rp_filter", like Linux's): a datagram arriving on it
 * is accepted when a route back to its source exists (loose, the default) / leaves by this
 * interface (strict), or always (off). */
enum shoal_config_rp_filter {
	SHOAL_CONFIG_RP_LOOSE = 0,
	SHOAL_CONFIG_RP_STRICT,
	SHOAL_CONFIG_RP_OFF,
};

/* forwarding.source_route: LSRR/SSRR datagrams dropped (default) or source-routed. */
enum shoal_config_source_route {
	SHOAL_CONFIG_SOURCE_ROUTE_DROP = 0,
	SHOAL_CONFIG_SOURCE_ROUTE_FORWARD,
};

enum shoal_config_if_kind {
	SHOAL_CONFIG_IF_TAP, /* Ethernet frames, ARP */
	SHOAL_CONFIG_IF_TUN, /* bare IPv4, point-to-point */
};

struct shoal_config_interface {
	char name[SHOAL_CONFIG_IFNAME_MAX];
	enum shoal_config_if_kind kind;
	uint32_t address;   /* host order */
	uint8_t prefix_len; /* 1..32 */
	bool has_mac;       /* false: mac was derived from the name (tap) or is zero (tun) */
	uint8_t mac[6];
	uint32_t mtu;
	bool offload;
	enum shoal_config_rp_filter rp_filter;
	struct shoal_config_host host; /* tun only; host.present false when absent */
};

/* Config-file spellings, indexed by the enums above. */
extern const char *const shoal_config_rp_filter_names[3];
extern const char *const shoal_config_source_route_names[2];

struct shoal_config_route {
	uint32_t prefix;    /* host order, canonical */
	uint8_t prefix_len; /* 0..32 */
	bool has_next_hop;  /* false: on-link (destination reached directly) */
	uint32_t next_hop;
	unsigned interface; /* index into shoal_config.interfaces */
	char interface_name[SHOAL_CONFIG_IFNAME_MAX];
};

struct shoal_config_plugin {
	char name[SHOAL_CONFIG_PLUGIN_NAME_MAX];
	char config_json[SHOAL_CONFIG_PLUGIN_CONFIG_MAX]; /* compact JSON object, "{}" default */
};

struct shoal_config {
	unsigned n_interfaces;
	struct shoal_config_interface interfaces[SHOAL_CONFIG_MAX_INTERFACES];
	unsigned n_routes;
	struct shoal_config_route routes[SHOAL_CONFIG_MAX_ROUTES];
	unsigned n_plugins;
	struct shoal_config_plugin plugins[SHOAL_CONFIG_MAX_PLUGINS];
	char plugin_dir[SHOAL_CONFIG_PATH_MAX];
	char api_listen[SHOAL_CONFIG_LISTEN_MAX]; /* as written, "a.b.c.d:port" */
	uint32_t api_address;                     /* host order */
	uint16_t api_port;
	char api_token_file[SHOAL_CONFIG_PATH_MAX];
	char api_javascript_dir[SHOAL_CONFIG_PATH_MAX]; /* served under /javascript/ */
	unsigned api_max_connections;                   /* all clients together (default 4096) */
	unsigned api_max_connections_per_ip;            /* per client address (default 64) */
	unsigned api_request_timeout_s;   /* whole request, headers and body (default 10) */
	unsigned api_idle_timeout_s;      /* no byte moved (default 15) */
	char user[SHOAL_CONFIG_USER_MAX]; /* "" = "shoal" when that user exists, else stay */
	char state_dir[SHOAL_CONFIG_PATH_MAX];
	char web_dir[SHOAL_CONFIG_PATH_MAX]; /* static files the API serves */
	unsigned icmp_rate_per_s;            /* 0: the router sends no ICMP errors */
	unsigned icmp_burst;
	unsigned icmp_dest_interval_ms; /* per-destination bucket: ms per error, 0 = off */
	unsigned icmp_dest_burst;
	unsigned icmp_dest_max;
	unsigned arp_give_up_ms; /* TAP interfaces' ARP give-up time (netif pending_timeout_ms) */
	enum shoal_config_source_route source_route; /* forwarding.source_route */
	unsigned busy_poll_us; /* forwarding.busy_poll_us (loop.h), 0 = off (the default) */
};

/* Errors collected by a load or a validation. count is the total found (it may exceed
 * SHOAL_CONFIG_ERRORS_MAX; only the first SHOAL_CONFIG_ERRORS_MAX are kept). Each message is
 * one line without a trailing newline, truncated to SHOAL_CONFIG_ERROR_LEN - 1 bytes. */
struct shoal_config_errors {
	unsigned count;
	char msg[SHOAL_CONFIG_ERRORS_MAX][SHOAL_CONFIG_ERROR_LEN];
};

/* The built-in default: tap lan0 10.0.1.1/24 and tap lan1 10.0.2.1/24 (MACs derived from the
 * names, MTU 1500, offload on), no routes, no plugins, plugin_dir SHOAL_DEFAULT_PLUGIN_DIR,
 * API 127.0.0.1:8144 with token file /var/lib/shoal/api.token, state_dir /var/lib/shoal,
 * web_dir SHOAL_DEFAULT_WEB_DIR. */
void shoal_config_default(struct shoal_config *cfg);

/* Parse and validate. name is the file name used in messages. Return 0 when valid, -1 when
 * errs->count > 0 (also for an unreadable file: "<file>: <strerror>"). errs is reset first. */
int shoal_config_load_file(struct shoal_config *cfg, const char *path,
                           struct shoal_config_errors *errs);
int shoal_config_load_string(struct shoal_config *cfg, const char *text, const char *name,
                             struct shoal_config_errors *errs);

/* The cross-field checks alone, on a filled struct (load runs them; the default passes them).
 * Appends to errs (does not reset it); returns 0 when it found nothing, -1 otherwise. Also
 * resolves each route's interface index from interface_name (or from its next hop when
 * interface_name is empty). */
int shoal_config_validate(struct shoal_config *cfg, const char *name,
                          struct shoal_config_errors *errs);

/* Writes cfg (a valid one) as the JSON document that loads back into the same struct: every
 * key, a tap's "mac" only when it was given (has_mac), each route's "interface" by name.
 * shoal_config_to_json returns a new jansson reference (NULL when out of memory; the type is
 * declared as struct json_t so this header does not need jansson.h); shoal_config_write puts
 * it on f indented, with a final newline, and returns 0 or -ENOMEM/-EIO. This is what
 * `shoald --print-default-config` prints and the package installs as /etc/shoal/shoald.json. */
struct json_t;
struct json_t *shoal_config_to_json(const struct shoal_config *cfg);
int shoal_config_write(const struct shoal_config *cfg, FILE *f);

/* Formatting helpers for messages and logs: "a.b.c.d" and "aa:bb:cc:dd:ee:ff". */
enum { SHOAL_CONFIG_IPV4_STRLEN = 16, SHOAL_CONFIG_MAC_STRLEN = 18 };
const char *shoal_config_mac_str(const uint8_t mac[6], char buf[SHOAL_CONFIG_MAC_STRLEN]);

#ifdef __cplusplus
}
#endif

#endif
