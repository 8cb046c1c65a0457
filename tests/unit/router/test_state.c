/* Tests for router/state.c: the strict state.json reader (kept to migrate to state.db). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal/state.h"

static int parse(const char *text, struct shoal_state *s, char *err, size_t n)
{
	memset(s, 0, sizeof(*s));
	return shoal_state_parse(text, strlen(text), "state.json", s, err, n);
}

static void test_parse_full_document(void **state)
{
	(void)state;
	struct shoal_state s;
	char err[256] = "";
	const char *t = "{\"version\":1,"
	                "\"routes\":[{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1.2\","
	                "\"interface\":\"lan0\"},{\"prefix\":\"0.0.0.0/0\",\"interface\":\"up0\"}],"
	                "\"deleted_routes\":[\"10.9.0.0/16\"],"
	                "\"arp\":[{\"interface\":\"lan0\",\"ip\":\"10.0.1.5\","
	                "\"mac\":\"02:00:0A:00:00:05\"}]}";
	assert_int_equal(parse(t, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n_routes, 2);
	assert_int_equal(s.routes[0].prefix, 0x0a020000u);
	assert_int_equal(s.routes[0].prefix_len, 16);
	assert_true(s.routes[0].has_next_hop);
	assert_int_equal(s.routes[0].next_hop, 0x0a000102u);
	assert_string_equal(s.routes[0].interface, "lan0");
	assert_false(s.routes[1].has_next_hop);
	assert_int_equal(s.routes[1].prefix_len, 0);
	assert_int_equal(s.n_deleted, 1);
	assert_int_equal(s.deleted[0].prefix, 0x0a090000u);
	assert_int_equal(s.n_arp, 1);
	assert_int_equal(s.arp[0].ip, 0x0a000105u);
	assert_int_equal(s.arp[0].mac[2], 0x0a);
	assert_int_equal(s.arp[0].mac[5], 0x05);
	shoal_state_free(&s);
	assert_null(s.routes);
}

/* Each bad document is refused with a message naming the file and the place. */
static void test_parse_rejects_bad_documents(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *needle;
	} cases[] = {
	    {"{\"version\":1,", "state.json:1:"},
	    {"[]", "(top): must be an object"},
	    {"{}", "missing \"version\""},
	    {"{\"version\":2}", "unsupported version"},
	    {"{\"version\":1,\"extra\":0}", "unknown key \"extra\""},
	    {"{\"version\":1,\"routes\":{}}", "routes: must be an array"},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.3.0/16\",\"interface\":\"a\"}]}",
	     "routes[0]: \"10.2.3.0/16\" has host bits set"},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.0.0/33\",\"interface\":\"a\"}]}",
	     "not an IPv4 prefix"},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.0.0/16\"}]}",
	     "needs \"next_hop\" or \"interface\""},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.0.0/16\",\"next_hop\":5}]}",
	     "\"next_hop\" must be a string"},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"1.2.3\"}]}",
	     "not an IPv4 address"},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.0.0/16\",\"interface\":"
	     "\"abcdefghijklmnop\"}]}",
	     "1..15 characters"},
	    {"{\"version\":1,\"routes\":[{\"prefix\":\"10.2.0.0/"
	     "16\",\"interface\":\"a\",\"x\":1}]}",
	     "routes[0]: unknown key \"x\""},
	    {"{\"version\":1,\"deleted_routes\":[7]}", "deleted_routes[0]: must be a prefix"},
	    {"{\"version\":1,\"arp\":[{\"interface\":\"lan0\",\"ip\":\"10.0.1.5\",\"mac\":"
	     "\"02:00:00:00:00\"}]}",
	     "arp[0]: mac \"02:00:00:00:00\" is not a MAC address"},
	    {"{\"version\":1,\"arp\":[{\"interface\":\"lan0\",\"mac\":\"02:00:00:00:00:01\"}]}",
	     "arp[0]: missing \"ip\""},
	    {"{\"version\":1,\"version\":1}", "duplicate"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shoal_state s;
		char err[256] = "";
		assert_int_equal(parse(cases[i].text, &s, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].needle) || strncmp(err, "state.json", 10) != 0)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].needle);
		assert_int_equal(s.n_routes + s.n_deleted + s.n_arp, 0);
		assert_null(s.routes);
	}
}

static void make_tmpdir(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/shoal_state_test.XXXXXX");
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
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* A corrupt file is an error naming the file, never an empty state. */
static void test_read_corrupt_file_names_it(void **state)
{
	(void)state;
	char dir[64], path[256], err[512] = "";
	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"routes\":[", f);
	fclose(f);
	struct shoal_state s = {0};
	bool missing = true;
	assert_int_equal(shoal_state_read(path, &s, &missing, err, sizeof(err)), -1);
	assert_false(missing);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_full_document),
	    cmocka_unit_test(test_parse_rejects_bad_documents),
	    cmocka_unit_test(test_read_corrupt_file_names_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
