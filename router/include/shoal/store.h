/*
 * store.h — shoald's persistent API state: the SQLite database <state_dir>/state.db.
 *
 * Role: keeps what the HTTP API changed and must survive a restart — routes set through the
 * API, configuration routes deleted through the API, static ARP entries — as rows, written
 * incrementally: a change writes or deletes only its own rows, so its cost does not grow
 * with the table. Schema (version 3, PRAGMA user_version; a version 1 or 2 database is
 * upgraded in place at open, in one transaction: 1 gets plugin_records, 2's text-keyed route
 * tables are read with the checks of a load and written again keyed by integers). Route keys
 * are the integer prefix << 6 | length (host order), next hops integers (host order): a
 * batch of 1,000 routes writes 1,000 integer-keyed rows (text keys made each row about 3x
 * dearer). The views routes_text and deleted_routes_text show them as text
 * (`sqlite3 state.db 'SELECT * FROM routes_text'`, the supported way to look at them):
 *   routes(key INTEGER PRIMARY KEY, next_hop INTEGER, interface TEXT)  -- NULL: not given
 *   deleted_routes(key INTEGER PRIMARY KEY)
 *   routes_text(prefix, next_hop, interface), deleted_routes_text(prefix)  -- views
 *   arp(interface TEXT, ip TEXT, mac TEXT, PRIMARY KEY(interface, ip))
 *   plugin_records(plugin TEXT, key TEXT, value BLOB, PRIMARY KEY(plugin, key))
 *                     -- plugins' durable records (plugin.h ABI 1.3 store_put/store_load)
 *   meta(key TEXT PRIMARY KEY, value)  -- 'writes': bumped by the write after a failed commit
 *
 * Durability: WAL journal, synchronous=FULL: a commit returns only after the WAL is
 * fdatasync()ed, so a committed transaction survives a crash or power loss. Transactions:
 * shoal_store_begin, any number of shoal_store_apply, shoal_store_commit — all or nothing.
 * A commit that fails is rolled back; the store then tells whether the outcome on disk is
 * certain (nothing of it will come back: SHOAL_STORE_FAILED) or not (SHOAL_STORE_UNKNOWN:
 * an I/O error after the data may have reached the disk, and a follow-up write meant to
 * supersede it failed too). A full disk is SHOAL_STORE_FAILED with the message "database or
 * disk is full"; the store keeps working when space is back.
 *
 * Opening: creates the directory (0700) and the database when missing. A new database
 * imports <state_dir>/state.json when there is one (state.h's strict reader; the import and
 * the schema are one transaction), then renames it to state.json.migrated. A database that
 * cannot be read (not a database, corrupt, unknown version, a malformed row) is an error
 * naming the file: shoald refuses to start rather than drop accepted state.
 *
 * Threads: one struct shoal_store is used by one thread at a time (the caller serializes:
 * control's group committer). Ownership: open allocates, close frees; the state loaded at
 * open is the caller's (shoal_state_free).
 */
#ifndef SHOAL_STORE_H
#define SHOAL_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "shoal/state.h"

#ifdef __cplusplus
extern "C" {
#endif

enum shoal_store_op {
	SHOAL_STORE_ROUTE_PUT,   /* u.route */
	SHOAL_STORE_ROUTE_DEL,   /* u.route: prefix, prefix_len */
	SHOAL_STORE_DELETED_PUT, /* u.prefix */
	SHOAL_STORE_DELETED_DEL, /* u.prefix */
	SHOAL_STORE_ARP_PUT,     /* u.arp */
	SHOAL_STORE_ARP_DEL,     /* u.arp: interface, ip */
	SHOAL_STORE_RECORD_PUT,  /* u.record (plugin ABI 1.3) */
	SHOAL_STORE_RECORD_DEL,  /* u.record: plugin, key */
};

struct shoal_store_change {
	enum shoal_store_op op;
	union {
		struct shoal_state_route route;
		struct shoal_state_prefix prefix;
		struct shoal_state_arp arp;
		struct shoal_state_record record; /* borrowed: key and value stay the caller's */
	} u;
};

enum shoal_store_status {
	SHOAL_STORE_OK = 0,
	SHOAL_STORE_FAILED,  /* nothing written; the store is usable */
	SHOAL_STORE_UNKNOWN, /* the disk may hold the transaction: stop writing, restart */
};

struct shoal_store;

/* Opens <dir>/state.db (see above) and loads it into *s (empty on entry). *migrated (may be
 * NULL) tells whether state.json was imported. NULL with a message naming the file in err. */
struct shoal_store *shoal_store_open(const char *dir, struct shoal_state *s, bool *migrated,
                                     char *err, size_t err_size);
/* NULL is a no-op. An open transaction is rolled back. */
void shoal_store_close(struct shoal_store *st);
/* "<dir>/state.db" of an open store. */
const char *shoal_store_path(const struct shoal_store *st);

/* A transaction: begin, apply (any number of times), commit; rollback abandons it. On a
 * failure err holds "<path>: <what>" and the transaction is rolled back. */
enum shoal_store_status shoal_store_begin(struct shoal_store *st, char *err, size_t err_size);
enum shoal_store_status shoal_store_apply(struct shoal_store *st,
                                          const struct shoal_store_change *c, size_t n, char *err,
                                          size_t err_size);
enum shoal_store_status shoal_store_commit(struct shoal_store *st, char *err, size_t err_size);
void shoal_store_rollback(struct shoal_store *st);

#ifdef __cplusplus
}
#endif

#endif
