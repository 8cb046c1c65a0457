/* Tests for router/store.c: the SQLite state database — rows written per change and read back
 * after a reopen, state.json migration, all-or-nothing transactions, a crash (no close) keeps
 * every committed transaction and none that was not, failed writes (file size limit) leave
 * nothing behind and the store works again, corrupt or foreign databases are errors naming
 * the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shoal/store.h"

static void make_tmpdir(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/shoal_store_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool exists(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static struct shoal_store_change route_put(uint32_t prefix, uint8_t len, uint32_t nh)
{
	struct shoal_store_change c = {.op = SHOAL_STORE_ROUTE_PUT};
	c.u.route = (struct shoal_state_route){
	    .prefix = prefix, .prefix_len = len, .has_next_hop = true, .next_hop = nh};
	strcpy(c.u.route.interface, "lan1");
	return c;
}

static struct shoal_store *open_ok(const char *dir, struct shoal_state *s)
{
	char err[512] = "";
	memset(s, 0, sizeof(*s));
	struct shoal_store *st = shoal_store_open(dir, s, NULL, err, sizeof(err));
	if (!st)
		fail_msg("open: %s", err);
	return st;
}

static void commit_changes(struct shoal_store *st, const struct shoal_store_change *c, size_t n)
{
	char err[512] = "";
	assert_int_equal(shoal_store_begin(st, err, sizeof(err)), SHOAL_STORE_OK);
	assert_int_equal(shoal_store_apply(st, c, n, err, sizeof(err)), SHOAL_STORE_OK);
	assert_int_equal(shoal_store_commit(st, err, sizeof(err)), SHOAL_STORE_OK);
}

/* A new directory gets a database; every kind of row is written, replaced, deleted and read
 * back after a reopen. */
static void test_rows_round_trip(void **state)
{
	(void)state;
	char dir[64], sub[128];
	make_tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	struct shoal_state s;
	struct shoal_store *st = open_ok(sub, &s);
	struct stat sb;
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(s.n_routes + s.n_deleted + s.n_arp, 0);
	struct shoal_store_change c[6] = {
	    route_put(0x0a000000u, 8, 0x0a000102u),
	    route_put(0x0b000000u, 8, 0x0a000102u),
	    {.op = SHOAL_STORE_DELETED_PUT, .u.prefix = {.prefix = 0xac100000u, .prefix_len = 12}},
	    {.op = SHOAL_STORE_ARP_PUT,
	     .u.arp = {.interface = "lan0", .ip = 0x0a000107u, .mac = {2, 0xab, 0, 0, 0, 0xff}}},
	};
	c[4] = route_put(0x0a000000u, 8, 0x0a000103u); /* replaces the first */
	c[5] = (struct shoal_store_change){.op = SHOAL_STORE_ROUTE_DEL, .u.route = c[1].u.route};
	commit_changes(st, c, 6);
	/* an on-link route: no next hop */
	struct shoal_store_change onlink = {.op = SHOAL_STORE_ROUTE_PUT};
	onlink.u.route = (struct shoal_state_route){.prefix = 0x0c000000u, .prefix_len = 16};
	strcpy(onlink.u.route.interface, "lan0");
	commit_changes(st, &onlink, 1);
	shoal_store_close(st);
	st = open_ok(sub, &s);
	assert_int_equal(s.n_routes, 2);
	assert_int_equal(s.routes[0].prefix, 0x0a000000u);
	assert_int_equal(s.routes[0].next_hop, 0x0a000103u);
	assert_string_equal(s.routes[0].interface, "lan1");
	assert_false(s.routes[1].has_next_hop);
	assert_string_equal(s.routes[1].interface, "lan0");
	assert_int_equal(s.n_deleted, 1);
	assert_int_equal(s.deleted[0].prefix_len, 12);
	assert_int_equal(s.n_arp, 1);
	assert_memory_equal(s.arp[0].mac, ((uint8_t[]){2, 0xab, 0, 0, 0, 0xff}), 6);
	struct shoal_store_change d[2] = {
	    {.op = SHOAL_STORE_DELETED_DEL, .u.prefix = s.deleted[0]},
	    {.op = SHOAL_STORE_ARP_DEL, .u.arp = s.arp[0]},
	};
	commit_changes(st, d, 2);
	shoal_state_free(&s);
	shoal_store_close(st);
	st = open_ok(sub, &s);
	assert_int_equal(s.n_deleted + s.n_arp, 0);
	assert_int_equal(s.n_routes, 2);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(sub);
	rm_tree(dir);
}

/* state.json is imported once and renamed; a bad one is an error and stays as it was. */
static void test_migration(void **state)
{
	(void)state;
	char dir[64], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	write_file(dir, "state.json", "{\"version\": 1, \"routes\": [");
	struct shoal_state s = {0};
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "state.json"));
	assert_true(exists(dir, "state.json"));
	write_file(dir, "state.json",
	           "{\"version\": 1, \"routes\": [{\"prefix\": \"10.2.0.0/16\", \"next_hop\": "
	           "\"10.0.1.2\"}], \"deleted_routes\": [\"10.9.0.0/16\"], \"arp\": "
	           "[{\"interface\": \"lan0\", \"ip\": \"10.0.1.5\", \"mac\": "
	           "\"02:00:00:00:00:05\"}]}\n");
	bool migrated = false;
	struct shoal_store *st = shoal_store_open(dir, &s, &migrated, err, sizeof(err));
	assert_non_null(st);
	assert_true(migrated);
	assert_false(exists(dir, "state.json"));
	assert_true(exists(dir, "state.json.migrated"));
	assert_int_equal(s.n_routes, 1);
	assert_int_equal(s.routes[0].prefix, 0x0a020000u);
	assert_int_equal(s.n_deleted, 1);
	assert_int_equal(s.n_arp, 1);
	shoal_state_free(&s);
	shoal_store_close(st);
	/* reopened: the database is the truth, nothing imported again */
	st = shoal_store_open(dir, &s, &migrated, err, sizeof(err));
	assert_non_null(st);
	assert_false(migrated);
	assert_int_equal(s.n_routes, 1);
	shoal_state_free(&s);
	shoal_store_close(st);
	/* a state.json next to an existing database (a stop before the rename): the database
	 * wins and the file is put aside */
	write_file(dir, "state.json", "{\"version\": 1}");
	st = shoal_store_open(dir, &s, &migrated, err, sizeof(err));
	assert_non_null(st);
	assert_false(exists(dir, "state.json"));
	assert_int_equal(s.n_routes, 1);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(dir);
}

/* A rolled-back transaction and one whose apply fails half-way leave nothing. */
static void test_transactions_all_or_nothing(void **state)
{
	(void)state;
	char dir[64], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	struct shoal_store_change c[3] = {route_put(0x0a000000u, 8, 1),
	                                  route_put(0x0b000000u, 8, 1),
	                                  route_put(0x0c000000u, 8, 1)};
	assert_int_equal(shoal_store_begin(st, err, sizeof(err)), SHOAL_STORE_OK);
	assert_int_equal(shoal_store_apply(st, c, 3, err, sizeof(err)), SHOAL_STORE_OK);
	shoal_store_rollback(st);
	/* the second change is not a valid operation: the first must not stay */
	c[1].op = (enum shoal_store_op)99;
	assert_int_equal(shoal_store_begin(st, err, sizeof(err)), SHOAL_STORE_OK);
	assert_int_equal(shoal_store_apply(st, c, 3, err, sizeof(err)), SHOAL_STORE_FAILED);
	assert_non_null(strstr(err, "state.db"));
	/* the store is usable afterwards */
	commit_changes(st, &c[2], 1);
	shoal_store_close(st);
	st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 1);
	assert_int_equal(s.routes[0].prefix, 0x0c000000u);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(dir);
}

/* A process that dies without closing (no checkpoint, WAL left behind) loses no committed
 * transaction and keeps none of the one it had open. */
static void test_crash_keeps_committed(void **state)
{
	(void)state;
	char dir[64];
	make_tmpdir(dir, sizeof(dir));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shoal_state s = {0};
		char err[512];
		struct shoal_store *st = shoal_store_open(dir, &s, NULL, err, sizeof(err));
		if (!st)
			_exit(2);
		for (uint32_t i = 0; i < 200; i++) {
			struct shoal_store_change c =
			    route_put(0x0a000000u | (i << 8), 24, 0x0a000102u);
			if (shoal_store_begin(st, err, sizeof(err)) != SHOAL_STORE_OK ||
			    shoal_store_apply(st, &c, 1, err, sizeof(err)) != SHOAL_STORE_OK ||
			    shoal_store_commit(st, err, sizeof(err)) != SHOAL_STORE_OK)
				_exit(3);
		}
		struct shoal_store_change c = route_put(0x0b000000u, 8, 0x0a000102u);
		if (shoal_store_begin(st, err, sizeof(err)) != SHOAL_STORE_OK ||
		    shoal_store_apply(st, &c, 1, err, sizeof(err)) != SHOAL_STORE_OK)
			_exit(4);
		raise(SIGKILL);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_true(exists(dir, "state.db-wal"));
	/* the WAL was given its room at open (zeros after the frames): recovery reads only the
	 * committed frames */
	char wal[128];
	snprintf(wal, sizeof(wal), "%s/state.db-wal", dir);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size >= 8 << 20);
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 200);
	for (size_t i = 0; i < s.n_routes; i++)
		assert_int_equal(s.routes[i].prefix >> 24, 10);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(dir);
}

/* A commit that cannot be written (file size limit: EFBIG) fails, leaves nothing — not even
 * after a reopen — and the store works again once writes can succeed. */
static void test_failed_write_leaves_nothing(void **state)
{
	(void)state;
	char dir[64], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	struct shoal_store_change one = route_put(0x0a000000u, 8, 1);
	commit_changes(st, &one, 1);
	enum { N = 3000 };
	struct shoal_store_change *c = calloc(N, sizeof(*c));
	assert_non_null(c);
	for (uint32_t i = 0; i < N; i++)
		c[i] = route_put(0x0b000000u | (i << 8), 24, 0x0a000102u);
	struct rlimit old, small;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64 * 1024;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	enum shoal_store_status ss = shoal_store_begin(st, err, sizeof(err));
	if (ss == SHOAL_STORE_OK)
		ss = shoal_store_apply(st, c, N, err, sizeof(err));
	if (ss == SHOAL_STORE_OK)
		ss = shoal_store_commit(st, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_not_equal(ss, SHOAL_STORE_OK);
	assert_non_null(strstr(err, "state.db"));
	/* writes work again, and the failed rows never appear */
	struct shoal_store_change two = route_put(0x0c000000u, 8, 1);
	commit_changes(st, &two, 1);
	shoal_store_close(st);
	st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 2);
	assert_int_equal(s.routes[0].prefix, 0x0a000000u);
	assert_int_equal(s.routes[1].prefix, 0x0c000000u);
	shoal_state_free(&s);
	shoal_store_close(st);
	free(c);
	rm_tree(dir);
}

/* The first column of the first row of a query, as an integer. */
static long long query_int(const char *dir, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/state.db", dir);
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	long long v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static void sql(const char *dir, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/state.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Not a database, a foreign database, an unknown version, a malformed row: errors naming
 * the file (and the row), never an empty state. */
static void test_bad_databases_are_errors(void **state)
{
	(void)state;
	char dir[64], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	struct shoal_state s = {0};
	write_file(dir, "state.db", "this is not a database; it is text long enough to matter\n");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/state.db"));
	unlink(strcat(strcpy((char[128]){0}, dir), "/state.db"));
	sql(dir, "CREATE TABLE other(x); PRAGMA user_version = 1;");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/state.db"));
	unlink(strcat(strcpy((char[128]){0}, dir), "/state.db"));
	struct shoal_store *st = open_ok(dir, &s);
	shoal_store_close(st);
	sql(dir, "PRAGMA user_version = 7;");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "unsupported version 7"));
	sql(dir, "PRAGMA user_version = 3;");
	/* key 10.0.0.1 << 6 | 8: host bits set */
	sql(dir, "INSERT INTO routes VALUES (10737418312, 167772162, NULL)");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/state.db: routes row \"10.0.0.1/8\""));
	assert_int_equal(s.n_routes, 0);
	/* a length over 32, a text key, a next hop out of range, neither next hop nor interface */
	static const struct {
		const char *sql, *want;
	} bad[] = {
	    {"(10737418240 | 33, 1, NULL)", "routes row \"10737418273\": not a canonical"},
	    {"(10737418248, 4294967296, NULL)", "row \"10.0.0.0/8\": next_hop is not"},
	    {"(10737418248, '10.0.0.2', NULL)", "row \"10.0.0.0/8\": next_hop is not"},
	    {"(10737418248, NULL, NULL)", "row \"10.0.0.0/8\": needs a next_hop"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char q[256];
		snprintf(q, sizeof(q), "DELETE FROM routes; INSERT INTO routes VALUES %s",
		         bad[i].sql);
		sql(dir, q);
		assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got \"%s\"", bad[i].sql, err);
	}
	sql(dir, "DELETE FROM routes; INSERT INTO deleted_routes VALUES (10737418312)");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "deleted_routes row \"10.0.0.1/8\""));
	/* a plugin record with no plugin name */
	sql(dir, "DELETE FROM deleted_routes; INSERT INTO plugin_records VALUES ('', 'k', x'00')");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	if (!strstr(err, "/state.db: plugin_records row \"\" \"k\": bad plugin name"))
		fail_msg("got \"%s\"", err);
	assert_int_equal(s.n_records, 0);
	rm_tree(dir);
}

static struct shoal_store_change record(enum shoal_store_op op, const char *plugin, char *key,
                                        const char *value)
{
	struct shoal_store_change c = {.op = op};
	snprintf(c.u.record.plugin, sizeof(c.u.record.plugin), "%s", plugin);
	c.u.record.key = key;
	c.u.record.value = (void *)value;
	c.u.record.len = value ? strlen(value) : 0;
	return c;
}

/* Plugin records (ABI 1.3): put, replace, delete, per plugin, binary-safe lengths, read back
 * after a reopen. */
static void test_plugin_records(void **state)
{
	(void)state;
	char dir[64];
	make_tmpdir(dir, sizeof(dir));
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	char k1[] = "pf/tcp/8080", k2[] = "pf/udp/53";
	struct shoal_store_change c[] = {
	    record(SHOAL_STORE_RECORD_PUT, "nat", k1, "old"),
	    record(SHOAL_STORE_RECORD_PUT, "nat", k2, "dns"),
	    record(SHOAL_STORE_RECORD_PUT, "other", k1, "theirs"),
	    record(SHOAL_STORE_RECORD_PUT, "nat", k1, "new"),
	    record(SHOAL_STORE_RECORD_DEL, "nat", k2, NULL),
	};
	commit_changes(st, c, 5);
	shoal_store_close(st);
	st = open_ok(dir, &s);
	assert_int_equal(s.n_records, 2);
	int seen = 0;
	for (size_t i = 0; i < s.n_records; i++) {
		const struct shoal_state_record *r = &s.records[i];
		assert_string_equal(r->key, "pf/tcp/8080");
		if (strcmp(r->plugin, "nat") == 0) {
			assert_int_equal(r->len, 3);
			assert_memory_equal(r->value, "new", 3);
			seen |= 1;
		} else {
			assert_string_equal(r->plugin, "other");
			assert_int_equal(r->len, 6);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(dir);
}

/* A version 1 database (before plugin records) is upgraded in place: its rows stay, records
 * can be written, and the version becomes 3. */
static void test_upgrade_from_v1(void **state)
{
	(void)state;
	char dir[64], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	sql(dir, "CREATE TABLE routes(prefix TEXT PRIMARY KEY NOT NULL, next_hop TEXT, interface "
	         "TEXT) WITHOUT ROWID;"
	         "CREATE TABLE deleted_routes(prefix TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
	         "CREATE TABLE arp(interface TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL,"
	         " PRIMARY KEY(interface, ip)) WITHOUT ROWID;"
	         "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;"
	         "INSERT INTO meta(key, value) VALUES ('writes', 0);"
	         "INSERT INTO routes VALUES ('10.9.0.0/16', '10.0.1.2', NULL);"
	         "PRAGMA user_version = 1;");
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 1);
	assert_int_equal(s.routes[0].prefix, 0x0a090000u);
	assert_int_equal(s.n_records, 0);
	shoal_state_free(&s);
	char k[] = "pf/tcp/80";
	struct shoal_store_change c = record(SHOAL_STORE_RECORD_PUT, "nat", k, "{}");
	commit_changes(st, &c, 1);
	shoal_store_close(st);
	st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 1);
	assert_int_equal(s.n_records, 1);
	shoal_state_free(&s);
	shoal_store_close(st);
	assert_int_equal(query_int(dir, "PRAGMA user_version"), 3);
	/* a foreign database claiming version 1 is refused and left as it was */
	sql(dir, "DROP TABLE routes; DROP TABLE plugin_records; PRAGMA user_version = 1;");
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/state.db"));
	{
		char p[512];
		snprintf(p, sizeof(p), "%s/state.db", dir);
		sqlite3 *db;
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db,
		                                    "SELECT count(*) FROM sqlite_schema WHERE "
		                                    "name = 'plugin_records'",
		                                    -1, &q, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	rm_tree(dir);
}

static const char schema_v2[] =
    "CREATE TABLE routes(prefix TEXT PRIMARY KEY NOT NULL, next_hop TEXT, interface TEXT)"
    " WITHOUT ROWID;"
    "CREATE TABLE deleted_routes(prefix TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE arp(interface TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL,"
    " PRIMARY KEY(interface, ip)) WITHOUT ROWID;"
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES ('writes', 0);"
    "CREATE TABLE plugin_records(plugin TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY(plugin, key)) WITHOUT ROWID;"
    "PRAGMA user_version = 2;";

/* A version 2 database (text keys) is upgraded in place to version 3 (integer keys): every
 * row stays (routes with and without next hop or interface, deleted routes, ARP, records),
 * the *_text views show them as text, and they are written and read as before. A malformed
 * version 2 row is an error naming it, and the file stays at version 2 as it was. */
static void test_upgrade_from_v2(void **state)
{
	(void)state;
	char dir[64], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	sql(dir, schema_v2);
	sql(dir, "INSERT INTO routes VALUES ('10.9.0.0/16', '10.0.1.2', NULL),"
	         " ('0.0.0.0/0', '10.0.1.1', 'lan0'), ('192.168.7.128/25', NULL, 'lan1'),"
	         " ('255.255.255.255/32', '255.255.255.254', NULL);"
	         "INSERT INTO deleted_routes VALUES ('172.16.0.0/12');"
	         "INSERT INTO arp VALUES ('lan0', '10.0.0.7', '02:ab:00:00:00:ff');"
	         "INSERT INTO plugin_records VALUES ('nat', 'k', x'0001');");
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 4);
	assert_int_equal(s.n_deleted, 1);
	assert_int_equal(s.n_arp, 1);
	assert_int_equal(s.n_records, 1);
	assert_int_equal(s.deleted[0].prefix, 0xac100000u);
	assert_int_equal(s.deleted[0].prefix_len, 12);
	int seen = 0;
	for (size_t i = 0; i < s.n_routes; i++) {
		const struct shoal_state_route *r = &s.routes[i];
		if (r->prefix == 0x0a090000u && r->prefix_len == 16 && r->has_next_hop &&
		    r->next_hop == 0x0a000102u && !r->interface[0])
			seen |= 1;
		if (r->prefix == 0 && r->prefix_len == 0 && r->next_hop == 0x0a000101u &&
		    strcmp(r->interface, "lan0") == 0)
			seen |= 2;
		if (r->prefix == 0xc0a80780u && r->prefix_len == 25 && !r->has_next_hop &&
		    strcmp(r->interface, "lan1") == 0)
			seen |= 4;
		if (r->prefix == 0xffffffffu && r->prefix_len == 32 && r->next_hop == 0xfffffffeu)
			seen |= 8;
	}
	assert_int_equal(seen, 15);
	shoal_state_free(&s);
	struct shoal_store_change c = route_put(0x0b000000u, 8, 0x0a000102u);
	commit_changes(st, &c, 1);
	shoal_store_close(st);
	assert_int_equal(query_int(dir, "PRAGMA user_version"), 3);
	assert_int_equal(query_int(dir, "SELECT group_concat(prefix || ' ' || ifnull(next_hop, '-')"
	                                " || ' ' || ifnull(interface, '-'), ',') = "
	                                "'0.0.0.0/0 10.0.1.1 lan0,10.9.0.0/16 10.0.1.2 -,"
	                                "11.0.0.0/8 10.0.1.2 lan1,192.168.7.128/25 - lan1,"
	                                "255.255.255.255/32 255.255.255.254 -' FROM routes_text"),
	                 1);
	assert_int_equal(query_int(dir, "SELECT count(*) FROM deleted_routes_text WHERE"
	                                " prefix = '172.16.0.0/12'"),
	                 1);
	st = open_ok(dir, &s);
	assert_int_equal(s.n_routes, 5);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(dir);

	/* a malformed version 2 row: an error naming it, the database left at version 2 */
	make_tmpdir(dir, sizeof(dir));
	sql(dir, schema_v2);
	sql(dir, "INSERT INTO routes VALUES ('10.9.0.0/16', '10.0.1.2', NULL),"
	         " ('10.0.0.1/8', '10.0.1.2', NULL)");
	memset(&s, 0, sizeof(s));
	assert_null(shoal_store_open(dir, &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/state.db: routes row \"10.0.0.1/8\""));
	assert_int_equal(s.n_routes, 0);
	assert_int_equal(query_int(dir, "PRAGMA user_version"), 2);
	assert_int_equal(query_int(dir, "SELECT count(*) FROM routes WHERE prefix = '10.9.0.0/16'"),
	                 1);
	rm_tree(dir);
}

/* Runs of route rows (written STORE_PUT_ROWS to a statement) mixed with single rows of every
 * kind, the same key several times in one run: the table afterwards is the one a model that
 * applies the changes one by one gives (fixed seed). */
static void test_apply_matches_model(void **state)
{
	(void)state;
	enum { KEYS = 40, ROUNDS = 30, MAX = 100 };
	char dir[64];
	make_tmpdir(dir, sizeof(dir));
	struct shoal_state s;
	struct shoal_store *st = open_ok(dir, &s);
	/* model: per key, 0 absent, else the next hop + 1; per key, deleted or not */
	uint32_t model[KEYS] = {0};
	bool deleted[KEYS] = {false};
	unsigned seed = 12345;
	for (int round = 0; round < ROUNDS; round++) {
		struct shoal_store_change c[MAX];
		size_t n = (size_t)(rand_r(&seed) % MAX) + 1;
		bool puts_only = round % 3 == 0; /* runs longer than one multi-row statement */
		for (size_t i = 0; i < n; i++) {
			unsigned k = (unsigned)rand_r(&seed) % KEYS,
			         what = (unsigned)rand_r(&seed) % 10;
			if (puts_only)
				what %= 7;
			uint32_t p = 0x0a000000u | k << 8;
			if (what < 7) { /* mostly puts: long runs */
				uint32_t nh = (uint32_t)rand_r(&seed);
				c[i] = route_put(p, 24, nh);
				if (what == 6) {
					c[i].u.route.has_next_hop = false;
					nh = 0xffffffffu; /* model: no next hop */
				}
				model[k] = nh == 0xffffffffu ? 0xffffffffu : nh + 1;
				if (nh + 1 == 0)
					model[k] =
					    1; /* rand_r never gives it; keep the model total */
			} else if (what < 9) {
				c[i] = (struct shoal_store_change){.op = SHOAL_STORE_ROUTE_DEL};
				c[i].u.route.prefix = p;
				c[i].u.route.prefix_len = 24;
				model[k] = 0;
			} else {
				bool del = rand_r(&seed) & 1;
				c[i] = (struct shoal_store_change){
				    .op = del ? SHOAL_STORE_DELETED_DEL : SHOAL_STORE_DELETED_PUT,
				    .u.prefix = {.prefix = p, .prefix_len = 24}};
				deleted[k] = !del;
			}
		}
		commit_changes(st, c, n);
	}
	shoal_store_close(st);
	st = open_ok(dir, &s);
	size_t want_routes = 0, want_deleted = 0;
	for (unsigned k = 0; k < KEYS; k++) {
		want_routes += model[k] != 0;
		want_deleted += deleted[k];
	}
	assert_int_equal(s.n_routes, want_routes);
	assert_int_equal(s.n_deleted, want_deleted);
	for (size_t i = 0; i < s.n_routes; i++) {
		const struct shoal_state_route *r = &s.routes[i];
		unsigned k = (r->prefix >> 8) & 0xffu;
		assert_true(k < KEYS && r->prefix == (0x0a000000u | k << 8) && r->prefix_len == 24);
		assert_string_equal(r->interface, "lan1");
		if (model[k] == 0xffffffffu)
			assert_false(r->has_next_hop);
		else
			assert_int_equal(r->next_hop + 1, model[k]);
	}
	for (size_t i = 0; i < s.n_deleted; i++)
		assert_true(deleted[(s.deleted[i].prefix >> 8) & 0xffu]);
	shoal_state_free(&s);
	shoal_store_close(st);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_round_trip),
	    cmocka_unit_test(test_migration),
	    cmocka_unit_test(test_transactions_all_or_nothing),
	    cmocka_unit_test(test_crash_keeps_committed),
	    cmocka_unit_test(test_failed_write_leaves_nothing),
	    cmocka_unit_test(test_bad_databases_are_errors),
	    cmocka_unit_test(test_plugin_records),
	    cmocka_unit_test(test_upgrade_from_v1),
	    cmocka_unit_test(test_upgrade_from_v2),
	    cmocka_unit_test(test_apply_matches_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
