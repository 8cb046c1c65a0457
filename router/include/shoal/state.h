/*
 * state.h — shoald's persistent API state as plain arrays, and the reader of the JSON file
 * older shoalds kept it in (<state_dir>/state.json; now only read to migrate it into
 * state.db, store.h).
 *
 * Role: what the HTTP API changed and must survive a restart — routes set through the API,
 * configuration routes deleted through the API, and static ARP entries. The old file:
 *   {"version": 1,
 *    "routes": [{"prefix": "10.2.0.0/16", "next_hop": "10.0.1.2", "interface": "lan0"}],
 *    "deleted_routes": ["10.9.0.0/16"],
 *    "arp": [{"interface": "lan0", "ip": "10.0.1.5", "mac": "02:00:00:00:00:05"}]}
 * "version" is required; the arrays are optional (empty). Per route "prefix" is required
 * plus at least one of "next_hop" and "interface".
 *
 * The reader is strict: malformed JSON, unknown keys, wrong types, a non-canonical prefix, a
 * bad address or MAC, a missing required key or an unsupported version are errors, reported
 * as one line "<file>: <json path>: <what>" (or "<file>:<line>:<col>: <jansson text>"). It
 * never drops an entry silently. It does not check entries against the interfaces (control
 * does that when it applies them).
 *
 * Ownership: struct shoal_state owns its malloc'd arrays (and the records' keys and values) (NULL
 * when empty); shoal_state_free() releases them. No global state; not thread-safe per struct.
 */
#ifndef SHOAL_STATE_H
#define SHOAL_STATE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SHOAL_STATE_VERSION = 1, SHOAL_STATE_IFNAME_MAX = 16 };

struct shoal_state_route {
	uint32_t prefix; /* host order, canonical */
	uint8_t prefix_len;
	bool has_next_hop;
	uint32_t next_hop;
	char interface[SHOAL_STATE_IFNAME_MAX]; /* "" when not given */
};

struct shoal_state_prefix {
	uint32_t prefix;
	uint8_t prefix_len;
};

struct shoal_state_arp {
	char interface[SHOAL_STATE_IFNAME_MAX];
	uint32_t ip;
	uint8_t mac[6];
};

/* A plugin's durable record (plugin ABI 1.3: store_put / store_load; state.db only, never in
 * state.json). key and value are malloc'd copies owned by the struct shoal_state. */
enum { SHOAL_STATE_RECORD_KEY_MAX = 128, SHOAL_STATE_RECORD_VALUE_MAX = 4096 };
struct shoal_state_record {
	char plugin[32];
	char *key;   /* NUL-terminated, 1..SHOAL_STATE_RECORD_KEY_MAX - 1 bytes */
	void *value; /* len bytes (len <= SHOAL_STATE_RECORD_VALUE_MAX) */
	size_t len;
};

struct shoal_state {
	size_t n_routes;
	struct shoal_state_route *routes;
	size_t n_deleted;
	struct shoal_state_prefix *deleted;
	size_t n_arp;
	struct shoal_state_arp *arp;
	size_t n_records;
	struct shoal_state_record *records;
};

/* Releases the arrays and zeroes *s. */
void shoal_state_free(struct shoal_state *s);

/* Appends one entry (grows the array). Return 0 or -ENOMEM. */
int shoal_state_add_route(struct shoal_state *s, const struct shoal_state_route *r);
int shoal_state_add_deleted(struct shoal_state *s, uint32_t prefix, uint8_t prefix_len);
int shoal_state_add_arp(struct shoal_state *s, const struct shoal_state_arp *a);
/* Copies key and value. 0, -EINVAL (bad plugin name, key or length) or -ENOMEM. */
int shoal_state_add_record(struct shoal_state *s, const char *plugin, const char *key,
                           const void *value, size_t len);

/* Parses text (len bytes, need not be NUL-terminated); name is used in messages. *s must be
 * empty (zeroed); on error it stays empty. Returns 0 or -1 with a message in err. */
int shoal_state_parse(const char *text, size_t len, const char *name, struct shoal_state *s,
                      char *err, size_t err_size);
/* Reads the file. A missing file is an empty state (returns 0, *missing = true when
 * missing is not NULL). Returns -1 with "<path>: ..." in err otherwise. */
int shoal_state_read(const char *path, struct shoal_state *s, bool *missing, char *err,
                     size_t err_size);
/* Writes text to path durably: a temporary file in the same directory, fsync()ed and
 * rename()d over path, then the directory fsync()ed (created 0700 when missing). Returns 0 or
 * -1 with "<path>: ..." in err (the old file intact). hostcfg.h keeps its record file with it;
 * the API state itself lives in state.db (store.h). */
int shoal_state_write_text(const char *path, const char *text, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
