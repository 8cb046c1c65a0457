/* test_auth_file.c — the token file is refused unless it is the daemon's own secret: a regular
 * file (no symlink, dangling or not), owned by the daemon's user, mode without group or other
 * bits. Needs root (chown to another user); make test runs as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal/api_auth.h"

static char base[64];

static int dir_setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/shoal-auth-file-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_token(const char *path, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret\n", f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void expect_refused(const char *path, const char *why)
{
	char token[SHOAL_API_TOKEN_MAX] = "", err[512] = "";
	bool created = true;
	assert_int_equal(shoal_api_token_load(path, token, &created, err, sizeof(err)), -1);
	assert_false(created);
	assert_string_equal(token, "");
	if (!strstr(err, path) || !strstr(err, why))
		fail_msg("expected \"%s\" naming %s, got: %s", why, path, err);
}

static void test_mode_0600_owned_by_us_is_read(void **state)
{
	(void)state;
	char path[PATH_MAX], token[SHOAL_API_TOKEN_MAX], err[256];
	snprintf(path, sizeof(path), "%s/ok", base);
	make_token(path, 0600);
	assert_int_equal(shoal_api_token_load(path, token, NULL, err, sizeof(err)), 0);
	assert_string_equal(token, "s3cret");
	make_token(path, 0400);
	assert_int_equal(shoal_api_token_load(path, token, NULL, err, sizeof(err)), 0);
}

static void test_group_or_world_bits_are_refused(void **state)
{
	(void)state;
	static const mode_t modes[] = {0644, 0640, 0604, 0660, 0606, 0610};
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/loose", base);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		make_token(path, modes[i]);
		char why[64];
		snprintf(why, sizeof(why), "refused: mode %04o", (unsigned)modes[i]);
		expect_refused(path, why);
	}
}

static void test_other_owner_is_refused(void **state)
{
	(void)state;
	assert_int_equal(geteuid(), 0); /* chown needs root */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/theirs", base);
	make_token(path, 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	expect_refused(path, "owned by uid 65534");
}

static void test_symlinks_are_refused(void **state)
{
	(void)state;
	char target[PATH_MAX], link[PATH_MAX], dangling[PATH_MAX];
	snprintf(target, sizeof(target), "%s/real", base);
	snprintf(link, sizeof(link), "%s/link", base);
	snprintf(dangling, sizeof(dangling), "%s/dangling", base);
	make_token(target, 0600);
	assert_int_equal(symlink(target, link), 0);
	expect_refused(link, "refused: a symbolic link;");
	assert_int_equal(symlink("/nonexistent/shoal-token", dangling), 0);
	expect_refused(dangling, "a symbolic link to nothing (dangling)");
	/* nothing was created behind the dangling link */
	struct stat st;
	assert_int_equal(stat("/nonexistent/shoal-token", &st), -1);
}

static void test_directory_is_refused(void **state)
{
	(void)state;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/adir", base);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refused(path, "not a regular file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mode_0600_owned_by_us_is_read, dir_setup,
	                                    dir_teardown),
	    cmocka_unit_test_setup_teardown(test_group_or_world_bits_are_refused, dir_setup,
	                                    dir_teardown),
	    cmocka_unit_test_setup_teardown(test_other_owner_is_refused, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_symlinks_are_refused, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_directory_is_refused, dir_setup, dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
