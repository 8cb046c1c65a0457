/* store.c — the SQLite state database; contract in include/shoal/store.h. */
#include "shoal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/wire.h"

enum {
	STORE_VERSION = 3,
	STORE_PUT_ROWS = 32, /* rows of the multi-row route insert (STORE_ROUTE_PUT_N) */
	STORE_DIR_MAX = 4096,
	STORE_PATH_MAX = STORE_DIR_MAX + 64,
	STORE_BUSY_MS = 2000,
	STORE_WAL_RESERVE = 8 << 20, /* bytes: the WAL between two automatic checkpoints, doubled */
};

/* Prepared statements, by change kind (enum shoal_store_op order), then the rest. */
enum store_stmt {
	STORE_ROUTE_PUT,
	STORE_ROUTE_DEL,
	STORE_DELETED_PUT,
	STORE_DELETED_DEL,
	STORE_ARP_PUT,
	STORE_ARP_DEL,
	STORE_RECORD_PUT,
	STORE_RECORD_DEL,
	STORE_BEGIN,
	STORE_COMMIT,
	STORE_ROLLBACK,
	STORE_TOUCH,
	STORE_ROUTE_PUT_N, /* STORE_PUT_ROWS route rows in one statement */
	STORE_STMT_COUNT_,
};

/* STORE_PUT_ROWS rows of three parameters (numbered in order: ?1, ?2, ... ?96); store_prepare
 * checks the count against STORE_PUT_ROWS. */
#define STORE_ROW     "(?, ?, ?)"
#define STORE_ROWS_4  STORE_ROW ", " STORE_ROW ", " STORE_ROW ", " STORE_ROW
#define STORE_ROWS_16 STORE_ROWS_4 ", " STORE_ROWS_4 ", " STORE_ROWS_4 ", " STORE_ROWS_4
#define STORE_ROWS_32 STORE_ROWS_16 ", " STORE_ROWS_16

static const char *const store_sql[STORE_STMT_COUNT_] = {
    [STORE_ROUTE_PUT] =
        "INSERT OR REPLACE INTO routes(key, next_hop, interface) VALUES (?1, ?2, ?3)",
    [STORE_ROUTE_DEL] = "DELETE FROM routes WHERE key = ?1",
    [STORE_DELETED_PUT] = "INSERT OR REPLACE INTO deleted_routes(key) VALUES (?1)",
    [STORE_DELETED_DEL] = "DELETE FROM deleted_routes WHERE key = ?1",
    [STORE_ARP_PUT] = "INSERT OR REPLACE INTO arp(interface, ip, mac) VALUES (?1, ?2, ?3)",
    [STORE_ARP_DEL] = "DELETE FROM arp WHERE interface = ?1 AND ip = ?2",
    [STORE_RECORD_PUT] =
        "INSERT OR REPLACE INTO plugin_records(plugin, key, value) VALUES (?1, ?2, ?3)",
    [STORE_RECORD_DEL] = "DELETE FROM plugin_records WHERE plugin = ?1 AND key = ?2",
    [STORE_BEGIN] = "BEGIN IMMEDIATE",
    [STORE_COMMIT] = "COMMIT",
    [STORE_ROLLBACK] = "ROLLBACK",
    [STORE_TOUCH] = "UPDATE meta SET value = value + 1 WHERE key = 'writes'",
    [STORE_ROUTE_PUT_N] = "INSERT OR REPLACE INTO routes(key, next_hop, interface) VALUES"
                          " " STORE_ROWS_32,
};

/* Routes and deleted routes (version 3): keyed by the integer prefix << 6 | length (a rowid
 * table: an insert is one integer-keyed b-tree step; the text keys of version 2 made each
 * row about 3x dearer), next hops as integers (host order). The *_text views show them as
 * text (`sqlite3 state.db 'SELECT * FROM routes_text'`). */
/* clang-format off */
#define STORE_ROUTE_TABLES                                                                        \
	"CREATE TABLE routes(key INTEGER PRIMARY KEY NOT NULL, next_hop INTEGER, interface TEXT);" \
	"CREATE TABLE deleted_routes(key INTEGER PRIMARY KEY NOT NULL);"                          \
	"CREATE VIEW routes_text AS SELECT " STORE_SQL_PREFIX(key) " AS prefix,"                   \
	" CASE WHEN next_hop IS NULL THEN NULL ELSE " STORE_SQL_ADDR(next_hop) " END AS next_hop," \
	" interface FROM routes;"                                                                 \
	"CREATE VIEW deleted_routes_text AS SELECT " STORE_SQL_PREFIX(key) " AS prefix"           \
	" FROM deleted_routes;"
#define STORE_SQL_ADDR(a)                                                                         \
	"printf('%d.%d.%d.%d', (" #a " >> 24) & 255, (" #a " >> 16) & 255, (" #a " >> 8) & 255, "   \
	#a " & 255)"
#define STORE_SQL_PREFIX(k) "printf('%s/%d', " STORE_SQL_ADDR((k >> 6)) ", " #k " & 63)"
/* clang-format on */

static const char store_schema[] = STORE_ROUTE_TABLES
    "CREATE TABLE arp(interface TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL,"
    " PRIMARY KEY(interface, ip)) WITHOUT ROWID;"
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES ('writes', 0);"
    "CREATE TABLE plugin_records(plugin TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY(plugin, key)) WITHOUT ROWID;"
    "PRAGMA user_version = 3;";

/* Version 1 -> 2: the plugins' records table. */
static const char store_upgrade_v1[] =
    "CREATE TABLE plugin_records(plugin TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY(plugin, key)) WITHOUT ROWID;"
    "PRAGMA user_version = 2;";

/* Version 2 -> 3: the route tables keyed by integers (their rows are read, checked and
 * written again in between, see store_upgrade). */
static const char store_upgrade_v2_drop[] = "DROP TABLE routes; DROP TABLE deleted_routes;";
static const char store_upgrade_v2_create[] = STORE_ROUTE_TABLES "PRAGMA user_version = 3;";

struct shoal_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STORE_STMT_COUNT_];
	char path[STORE_PATH_MAX];
	char dir[STORE_DIR_MAX];
};

const char *shoal_store_path(const struct shoal_store *st)
{
	return st->path;
}

static void store_err(const struct shoal_store *st, char *err, size_t err_size, const char *what)
{
	snprintf(err, err_size, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

/* Runs SQL text without results. SQLITE_OK or the error code (message in err). */
static int store_exec(struct shoal_store *st, const char *sql, char *err, size_t err_size)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		store_err(st, err, err_size, "cannot update");
	return rc;
}

/* Steps a prepared statement to its end and resets it. SQLite's result code. */
static int store_step(struct shoal_store *st, enum store_stmt k)
{
	sqlite3_stmt *s = st->stmt[k];
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Gives the WAL its room at open, written. A commit that appends to the WAL makes fdatasync()
 * also write the file's new size and block allocation (on ext4 about 3x slower than
 * overwriting blocks the file already has; fallocate's unwritten extents still cost a
 * conversion at the first write). SQLite overwrites its WAL from the start after each
 * checkpoint and never shrinks it (no journal_size_limit), so only the writes after an open
 * would append: zeros written once here make the first commits as cheap as the later ones.
 * A WAL longer than its frames is the normal state after a checkpoint (frames past the
 * header's salt are not read), so this changes nothing but the cost. Best effort: without
 * room (ENOSPC) the WAL grows as before.
 */
static void store_wal_reserve(const struct shoal_store *st)
{
	char wal[STORE_PATH_MAX + 8];
	snprintf(wal, sizeof(wal), "%s-wal", st->path);
	int fd = open(wal, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	struct stat sb;
	static const char zeros[64 * 1024];
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size < STORE_WAL_RESERVE) {
		off_t at = sb.st_size;
		while (at < STORE_WAL_RESERVE) {
			ssize_t w = pwrite(fd, zeros, sizeof(zeros), at);
			if (w <= 0)
				break;
			at += w;
		}
		if (at >= STORE_WAL_RESERVE)
			fdatasync(fd);
		else if (ftruncate(fd, sb.st_size) == 0) /* no room: as it was */
			fdatasync(fd);
	}
	close(fd);
}

/* ---------- writing ---------- */

/* SQLITE_STATIC: every bound buffer outlives the statement's step (store_apply_one steps
 * before it returns, and store_step clears the bindings). */
static int store_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

/* The integer key of a route row: prefix << 6 | length. */
static sqlite3_int64 store_route_key(uint32_t prefix, uint8_t len)
{
	return (sqlite3_int64)prefix << 6 | len;
}

/* Binds route r as the row whose first parameter is i (key, next_hop, interface). */
static void store_bind_route(sqlite3_stmt *s, int i, const struct shoal_state_route *r)
{
	sqlite3_bind_int64(s, i, store_route_key(r->prefix, r->prefix_len));
	if (r->has_next_hop)
		sqlite3_bind_int64(s, i + 1, r->next_hop);
	if (r->interface[0])
		store_bind_text(s, i + 2, r->interface);
}

static int store_apply_one(struct shoal_store *st, const struct shoal_store_change *c)
{
	char a[SHOAL_IPV4_ADDR_STRLEN], m[SHOAL_MAC_STRLEN];
	if ((unsigned)c->op > SHOAL_STORE_RECORD_DEL)
		return SQLITE_MISUSE;
	sqlite3_stmt *s = st->stmt[c->op];
	switch (c->op) {
	case SHOAL_STORE_ROUTE_PUT:
		store_bind_route(s, 1, &c->u.route);
		break;
	case SHOAL_STORE_ROUTE_DEL:
		sqlite3_bind_int64(s, 1, store_route_key(c->u.route.prefix, c->u.route.prefix_len));
		break;
	case SHOAL_STORE_DELETED_PUT:
	case SHOAL_STORE_DELETED_DEL:
		sqlite3_bind_int64(s, 1,
		                   store_route_key(c->u.prefix.prefix, c->u.prefix.prefix_len));
		break;
	case SHOAL_STORE_ARP_PUT:
	case SHOAL_STORE_ARP_DEL: {
		store_bind_text(s, 1, c->u.arp.interface);
		store_bind_text(s, 2, shoal_ipv4_addr_format(c->u.arp.ip, a));
		if (c->op == SHOAL_STORE_ARP_PUT) {
			struct shoal_mac mac;
			memcpy(mac.b, c->u.arp.mac, 6);
			store_bind_text(s, 3, shoal_mac_format(&mac, m));
		}
		break;
	}
	case SHOAL_STORE_RECORD_PUT:
	case SHOAL_STORE_RECORD_DEL:
		store_bind_text(s, 1, c->u.record.plugin);
		store_bind_text(s, 2, c->u.record.key);
		if (c->op == SHOAL_STORE_RECORD_PUT)
			sqlite3_bind_blob(s, 3, c->u.record.len ? c->u.record.value : "",
			                  (int)c->u.record.len, SQLITE_STATIC);
		break;
	}
	return store_step(st, (enum store_stmt)c->op);
}

/* Rollback without prepared statements (open, before they exist). */
static void store_rollback_raw(struct shoal_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

void shoal_store_rollback(struct shoal_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_step(st, STORE_ROLLBACK);
}

/* After a failed statement: roll back; FAILED. */
static enum shoal_store_status store_failed(struct shoal_store *st, char *err, size_t err_size,
                                            const char *what)
{
	store_err(st, err, err_size, what);
	shoal_store_rollback(st);
	return SHOAL_STORE_FAILED;
}

enum shoal_store_status shoal_store_begin(struct shoal_store *st, char *err, size_t err_size)
{
	if (store_step(st, STORE_BEGIN) != SQLITE_OK)
		return store_failed(st, err, err_size, "cannot begin a transaction");
	return SHOAL_STORE_OK;
}

enum shoal_store_status shoal_store_apply(struct shoal_store *st,
                                          const struct shoal_store_change *c, size_t n, char *err,
                                          size_t err_size)
{
	for (size_t i = 0; i < n;) {
		/* STORE_PUT_ROWS route rows in a row: one statement (same outcome as one by one,
		 * a later row of the same key wins; about half the cost per row) */
		size_t k = 0;
		while (k < STORE_PUT_ROWS && i + k < n && c[i + k].op == SHOAL_STORE_ROUTE_PUT)
			k++;
		int rc;
		if (k == STORE_PUT_ROWS) {
			for (size_t j = 0; j < k; j++)
				store_bind_route(st->stmt[STORE_ROUTE_PUT_N], 1 + 3 * (int)j,
				                 &c[i + j].u.route);
			rc = store_step(st, STORE_ROUTE_PUT_N);
		} else {
			k = 1;
			rc = store_apply_one(st, &c[i]);
		}
		if (rc != SQLITE_OK)
			return store_failed(st, err, err_size, "cannot write");
		i += k;
	}
	return SHOAL_STORE_OK;
}

enum shoal_store_status shoal_store_commit(struct shoal_store *st, char *err, size_t err_size)
{
	int rc = store_step(st, STORE_COMMIT);
	if (rc == SQLITE_OK)
		return SHOAL_STORE_OK;
	store_err(st, err, err_size, "cannot commit");
	shoal_store_rollback(st);
	/* A full disk fails before the commit record is complete: nothing of it can come back.
	 * Any other error may come after the WAL frames reached the disk: they would be
	 * recovered at the next open. A committed follow-up transaction writes its frames over
	 * them (the WAL index never counted them), which makes the outcome certain. */
	if ((rc & 0xff) == SQLITE_FULL)
		return SHOAL_STORE_FAILED;
	if (store_step(st, STORE_BEGIN) == SQLITE_OK && store_step(st, STORE_TOUCH) == SQLITE_OK &&
	    store_step(st, STORE_COMMIT) == SQLITE_OK)
		return SHOAL_STORE_FAILED;
	shoal_store_rollback(st);
	return SHOAL_STORE_UNKNOWN;
}

/* ---------- reading ---------- */

struct store_load {
	struct shoal_store *st;
	char *err;
	size_t err_size;
};

static int store_load_fail(struct store_load *l, const char *table, const char *key,
                           const char *what)
{
	snprintf(l->err, l->err_size, "%s: %s row \"%s\": %s", l->st->path, table, key, what);
	return -1;
}

static const char *store_col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int store_ifname(const char *t, char out[SHOAL_STATE_IFNAME_MAX])
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n >= SHOAL_STATE_IFNAME_MAX)
		return -1;
	memcpy(out, t, n + 1);
	return 0;
}

/* Key column i of a version 3 route row: prefix and length, the key's text in name (also when
 * it is not a canonical prefix). -1 when it is not one. */
static int store_route_key_read(sqlite3_stmt *s, int i, uint32_t *p, uint8_t *len, char name[32])
{
	sqlite3_int64 k = sqlite3_column_int64(s, i);
	bool integer = sqlite3_column_type(s, i) == SQLITE_INTEGER;
	*p = (uint32_t)((uint64_t)k >> 6);
	*len = (uint8_t)(k & 63);
	char a[SHOAL_IPV4_ADDR_STRLEN];
	if (!integer)
		snprintf(name, 32, "%s", "(not an integer)");
	else if (k < 0 || k >= (sqlite3_int64)1 << 38 || *len > 32)
		snprintf(name, 32, "%lld", (long long)k);
	else
		snprintf(name, 32, "%s/%u", shoal_ipv4_addr_format(*p, a), (unsigned)*len);
	if (!integer || k < 0 || k >= (sqlite3_int64)1 << 38 || *len > 32 ||
	    (*p & ~shoal_ipv4_prefix_mask(*len)) != 0)
		return -1;
	return 0;
}

/* The end of a routes row once its key and next hop are read (r), with its interface column
 * (ifn): both loaders, version 3 and version 2, finish here. */
static int store_load_route_end(struct store_load *l, const char *key, struct shoal_state_route *r,
                                const char *ifn, struct shoal_state *out)
{
	if (ifn && store_ifname(ifn, r->interface) < 0)
		return store_load_fail(l, "routes", key, "bad interface name");
	if (!r->has_next_hop && !ifn)
		return store_load_fail(l, "routes", key, "needs a next_hop or an interface");
	return shoal_state_add_route(out, r) < 0
	           ? store_load_fail(l, "routes", key, "out of memory")
	           : 0;
}

/* A deleted_routes row, of either version. */
static int store_load_deleted(struct store_load *l, const char *key, uint32_t p, uint8_t len,
                              struct shoal_state *out)
{
	return shoal_state_add_deleted(out, p, len) < 0
	           ? store_load_fail(l, "deleted_routes", key, "out of memory")
	           : 0;
}

/* A version 3 row of routes (table 0) or deleted_routes (1). */
static int store_load_route_row(struct store_load *l, int table, sqlite3_stmt *s,
                                struct shoal_state *out)
{
	static const char *const names[] = {"routes", "deleted_routes"};
	char key[32];
	uint32_t p;
	uint8_t len;
	if (store_route_key_read(s, 0, &p, &len, key) < 0)
		return store_load_fail(l, names[table], key, "not a canonical IPv4 prefix");
	if (table == 1)
		return store_load_deleted(l, key, p, len, out);
	struct shoal_state_route r = {.prefix = p, .prefix_len = len};
	int nh_type = sqlite3_column_type(s, 1);
	sqlite3_int64 nh = sqlite3_column_int64(s, 1);
	if (nh_type != SQLITE_NULL) {
		if (nh_type != SQLITE_INTEGER || nh < 0 || nh > UINT32_MAX)
			return store_load_fail(l, names[table], key,
			                       "next_hop is not an IPv4 address");
		r.has_next_hop = true;
		r.next_hop = (uint32_t)nh;
	}
	return store_load_route_end(l, key, &r, store_col(s, 2), out);
}

/* A row of arp (table 2), or of a version 2 routes (0) or deleted_routes (1) table (text). */
static int store_load_row(struct store_load *l, int table, sqlite3_stmt *s, struct shoal_state *out)
{
	static const char *const names[] = {"routes", "deleted_routes", "arp"};
	const char *k = store_col(s, 0);
	const char *key = k ? k : "(null)";
	if (table == 2) {
		struct shoal_state_arp a = {0};
		struct shoal_mac mac;
		const char *ip = store_col(s, 1), *m = store_col(s, 2);
		if (store_ifname(k, a.interface) < 0)
			return store_load_fail(l, names[table], key, "bad interface name");
		if (!ip || shoal_ipv4_addr_parse(ip, &a.ip) != SHOAL_WIRE_OK)
			return store_load_fail(l, names[table], key, "ip is not an IPv4 address");
		if (!m || shoal_mac_parse(m, &mac) != SHOAL_WIRE_OK)
			return store_load_fail(l, names[table], key, "mac is not a MAC address");
		memcpy(a.mac, mac.b, 6);
		return shoal_state_add_arp(out, &a) < 0
		           ? store_load_fail(l, names[table], key, "out of memory")
		           : 0;
	}
	uint32_t p;
	uint8_t len;
	if (!k || shoal_ipv4_prefix_parse(k, &p, &len) != SHOAL_WIRE_OK)
		return store_load_fail(l, names[table], key, "not a canonical IPv4 prefix");
	if (table == 1)
		return store_load_deleted(l, key, p, len, out);
	struct shoal_state_route r = {.prefix = p, .prefix_len = len};
	const char *nh = store_col(s, 1);
	if (nh) {
		r.has_next_hop = true;
		if (shoal_ipv4_addr_parse(nh, &r.next_hop) != SHOAL_WIRE_OK)
			return store_load_fail(l, names[table], key,
			                       "next_hop is not an IPv4 address");
	}
	return store_load_route_end(l, key, &r, store_col(s, 2), out);
}

/* Runs the query sql and calls row(ctx, s) on each row. 0, or -1 when it cannot be read
 * (err filled) or when row returns < 0 (row filled err). The one read loop of the loaders. */
static int store_each_row(struct shoal_store *st, const char *sql,
                          int (*row)(void *ctx, sqlite3_stmt *s), void *ctx, char *err,
                          size_t err_size)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_err(st, err, err_size, "cannot read");
		return -1;
	}
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row(ctx, s) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_err(st, err, err_size, "cannot read");
		return -1;
	}
	return 0;
}

/* A row of one of the state tables (store_load_tables). */
struct store_table_read {
	struct store_load *l;
	int table; /* 0 routes, 1 deleted_routes, 2 arp */
	bool v2;   /* version 2 route tables (text keys) */
	struct shoal_state *out;
};

static int store_table_row(void *ctx, sqlite3_stmt *s)
{
	struct store_table_read *r = ctx;
	return r->table < 2 && !r->v2 ? store_load_route_row(r->l, r->table, s, r->out)
	                              : store_load_row(r->l, r->table, s, r->out);
}

struct store_record_read {
	struct shoal_store *st;
	struct shoal_state *out;
	char *err;
	size_t err_size;
};

static int store_record_row(void *ctx, sqlite3_stmt *s)
{
	struct store_record_read *r = ctx;
	const char *p = store_col(s, 0), *k = store_col(s, 1);
	const void *v = sqlite3_column_blob(s, 2);
	size_t len = (size_t)sqlite3_column_bytes(s, 2);
	int rc = shoal_state_add_record(r->out, p, k, v, len);
	if (rc < 0)
		snprintf(r->err, r->err_size, "%s: plugin_records row \"%s\" \"%s\": %s",
		         r->st->path, p ? p : "(null)", k ? k : "(null)",
		         rc == -ENOMEM ? "out of memory" : "bad plugin name, key or value");
	return rc < 0 ? -1 : 0;
}

/* Reads the tables (the route tables of version 3, or of version 2 when v2: text) into out;
 * tables[t] tells which of routes, deleted_routes, arp (0, 1, 2) to read. */
static int store_load_tables(struct shoal_store *st, bool v2, const bool tables[3],
                             struct shoal_state *out, char *err, size_t err_size)
{
	static const char *const sql[] = {
	    "SELECT key, next_hop, interface FROM routes",
	    "SELECT key FROM deleted_routes",
	    "SELECT interface, ip, mac FROM arp",
	};
	static const char *const sql_v2[] = {
	    "SELECT prefix, next_hop, interface FROM routes",
	    "SELECT prefix FROM deleted_routes",
	};
	struct store_load l = {.st = st, .err = err, .err_size = err_size};
	for (int t = 0; t < 3; t++) {
		struct store_table_read r = {.l = &l, .table = t, .v2 = v2, .out = out};
		if (tables[t] && store_each_row(st, v2 && t < 2 ? sql_v2[t] : sql[t],
		                                store_table_row, &r, err, err_size) < 0)
			return -1;
	}
	return 0;
}

static int store_load(struct shoal_store *st, struct shoal_state *out, char *err, size_t err_size)
{
	static const bool all[3] = {true, true, true};
	if (store_load_tables(st, false, all, out, err, err_size) < 0)
		return -1;
	struct store_record_read r = {.st = st, .out = out, .err = err, .err_size = err_size};
	return store_each_row(st, "SELECT plugin, key, value FROM plugin_records", store_record_row,
	                      &r, err, err_size);
}

/* The database's version: user_version, 0 when new (no tables); -1 on error. */
static int store_version(struct shoal_store *st, bool *empty, char *err, size_t err_size)
{
	sqlite3_stmt *s;
	int v = -1;
	*empty = false;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v < 0) {
		store_err(st, err, err_size, "cannot read");
		return -1;
	}
	int tables = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_schema", -1, &s, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (tables < 0) {
		store_err(st, err, err_size, "cannot read");
		return -1;
	}
	*empty = tables == 0;
	return v;
}

/* ---------- migration ---------- */

/* Writes s's routes, deleted routes and ARP entries (open transaction, statements prepared). */
static int store_import(struct shoal_store *st, const struct shoal_state *s, char *err,
                        size_t err_size)
{
	struct shoal_store_change c;
	for (size_t i = 0; i < s->n_routes; i++) {
		c = (struct shoal_store_change){.op = SHOAL_STORE_ROUTE_PUT,
		                                .u.route = s->routes[i]};
		if (shoal_store_apply(st, &c, 1, err, err_size) != SHOAL_STORE_OK)
			return -1;
	}
	for (size_t i = 0; i < s->n_deleted; i++) {
		c = (struct shoal_store_change){.op = SHOAL_STORE_DELETED_PUT,
		                                .u.prefix = s->deleted[i]};
		if (shoal_store_apply(st, &c, 1, err, err_size) != SHOAL_STORE_OK)
			return -1;
	}
	for (size_t i = 0; i < s->n_arp; i++) {
		c = (struct shoal_store_change){.op = SHOAL_STORE_ARP_PUT, .u.arp = s->arp[i]};
		if (shoal_store_apply(st, &c, 1, err, err_size) != SHOAL_STORE_OK)
			return -1;
	}
	return 0;
}

/* Prepares the statements (the schema is the current one). */
static int store_prepare(struct shoal_store *st, const char *what, char *err, size_t err_size)
{
	for (int k = 0; k < STORE_STMT_COUNT_; k++)
		if (!st->stmt[k] &&
		    sqlite3_prepare_v3(st->db, store_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
		                       &st->stmt[k], NULL) != SQLITE_OK) {
			store_err(st, err, err_size, what);
			return -1;
		}
	if (sqlite3_bind_parameter_count(st->stmt[STORE_ROUTE_PUT_N]) != 3 * STORE_PUT_ROWS) {
		snprintf(err, err_size, "%s: the multi-row insert has %d parameters, not %d",
		         st->path, sqlite3_bind_parameter_count(st->stmt[STORE_ROUTE_PUT_N]),
		         3 * STORE_PUT_ROWS);
		return -1;
	}
	return 0;
}

/* Creates the schema and imports state.json (when present) in one transaction. */
static int store_create(struct shoal_store *st, bool *migrated, char *err, size_t err_size)
{
	char json[STORE_PATH_MAX];
	snprintf(json, sizeof(json), "%s/state.json", st->dir);
	struct shoal_state s = {0};
	bool missing = true;
	if (shoal_state_read(json, &s, &missing, err, err_size) < 0)
		return -1;
	if (store_exec(st, "BEGIN IMMEDIATE", err, err_size) != SQLITE_OK ||
	    store_exec(st, store_schema, err, err_size) != SQLITE_OK)
		goto fail;
	if (store_prepare(st, "cannot prepare", err, err_size) < 0)
		goto fail;
	if (store_import(st, &s, err, err_size) < 0)
		goto fail;
	if (store_exec(st, "COMMIT", err, err_size) != SQLITE_OK)
		goto fail;
	shoal_state_free(&s);
	if (!missing) {
		char done[STORE_PATH_MAX + 16];
		snprintf(done, sizeof(done), "%s.migrated", json);
		if (rename(json, done) < 0 || store_fsync_dir(st->dir) < 0) {
			snprintf(err, err_size,
			         "%s: imported into %s but cannot rename it to %s: %s", json,
			         st->path, done, strerror(errno));
			return -1;
		}
		*migrated = true;
	}
	return 0;
fail:
	shoal_state_free(&s);
	shoal_store_rollback(st);
	return -1;
}

/*
 * Version 1 or 2 to 3, in one transaction with the check that the database is ours: version
 * 1 gets plugin_records (-> 2); version 2's route tables (text keys) are read with the checks
 * of a load (a malformed row is an error naming it), dropped, created keyed by integers, and
 * their rows written again. On any error nothing changed on disk.
 */
static int store_upgrade(struct shoal_store *st, int v, char *err, size_t err_size)
{
	static const bool routes_only[3] = {true, true, false};
	struct shoal_state old = {0};
	if (store_exec(st, "BEGIN IMMEDIATE", err, err_size) != SQLITE_OK)
		return -1;
	if ((v == 1 && store_exec(st, store_upgrade_v1, err, err_size) != SQLITE_OK) ||
	    store_load_tables(st, true, routes_only, &old, err, err_size) < 0 ||
	    store_exec(st, store_upgrade_v2_drop, err, err_size) != SQLITE_OK ||
	    store_exec(st, store_upgrade_v2_create, err, err_size) != SQLITE_OK ||
	    store_prepare(st, "not a shoald state database", err, err_size) < 0 ||
	    store_import(st, &old, err, err_size) < 0 ||
	    store_exec(st, "COMMIT", err, err_size) != SQLITE_OK) {
		shoal_state_free(&old);
		store_rollback_raw(st);
		return -1;
	}
	shoal_state_free(&old);
	return 0;
}

/* ---------- open / close ---------- */

struct shoal_store *shoal_store_open(const char *dir, struct shoal_state *s, bool *migrated,
                                     char *err, size_t err_size)
{
	bool mig = false;
	struct shoal_store *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_size, "%s: out of memory", dir);
		return NULL;
	}
	if (snprintf(st->dir, sizeof(st->dir), "%s", dir) >= (int)sizeof(st->dir) ||
	    snprintf(st->path, sizeof(st->path), "%s/state.db", dir) >= (int)sizeof(st->path)) {
		snprintf(err, err_size, "%s: path too long", dir);
		free(st);
		return NULL;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_size, "%s: cannot create %s: %s", st->path, dir, strerror(errno));
		free(st);
		return NULL;
	}
	if (sqlite3_open_v2(st->path, &st->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, err_size, "%s: cannot open: %s", st->path,
		         st->db ? sqlite3_errmsg(st->db) : "out of memory");
		shoal_store_close(st);
		return NULL;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/* WAL, and every commit fsync()ed (NORMAL would not sync the WAL at commit). */
	if (store_exec(st, "PRAGMA journal_mode = WAL", err, err_size) != SQLITE_OK ||
	    store_exec(st, "PRAGMA synchronous = FULL", err, err_size) != SQLITE_OK ||
	    /* 32 MiB of page cache: a full table of API routes (~50 B a row) stays in memory,
	     * so a write never reads a page back from the file */
	    store_exec(st, "PRAGMA cache_size = -32768", err, err_size) != SQLITE_OK)
		goto fail;
	bool empty;
	int v = store_version(st, &empty, err, err_size);
	if (v < 0)
		goto fail;
	if (v == 0 && empty) {
		if (store_create(st, &mig, err, err_size) < 0)
			goto fail;
	} else if (v < 1 || v > STORE_VERSION) {
		snprintf(err, err_size, "%s: unsupported version %d (this shoald reads version %d)",
		         st->path, v, STORE_VERSION);
		goto fail;
	} else {
		/* an older version is upgraded in one transaction with the check that it is ours */
		if ((v < STORE_VERSION && store_upgrade(st, v, err, err_size) < 0) ||
		    store_prepare(st, "not a shoald state database", err, err_size) < 0)
			goto fail;
		/* state.json next to a database: a migration that stopped before its rename */
		char json[STORE_PATH_MAX], done[STORE_PATH_MAX + 16];
		snprintf(json, sizeof(json), "%s/state.json", st->dir);
		snprintf(done, sizeof(done), "%s.migrated", json);
		if (access(json, F_OK) == 0 &&
		    (rename(json, done) < 0 || store_fsync_dir(dir) < 0)) {
			snprintf(err, err_size, "%s: cannot rename it to %s: %s", json, done,
			         strerror(errno));
			goto fail;
		}
	}
	if (store_load(st, s, err, err_size) < 0) {
		shoal_state_free(s);
		goto fail;
	}
	store_wal_reserve(st);
	if (migrated)
		*migrated = mig;
	return st;
fail:
	shoal_store_close(st);
	return NULL;
}

void shoal_store_close(struct shoal_store *st)
{
	if (!st)
		return;
	if (st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	for (int k = STORE_STMT_COUNT_; k-- > 0;)
		sqlite3_finalize(st->stmt[k]);
	sqlite3_close(st->db);
	free(st);
}
