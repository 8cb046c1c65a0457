/* Tests for api/auth.c: constant-time compare, bearer header, token file creation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shoal/api_auth.h"

static void test_token_equal(void **state)
{
	(void)state;
	assert_true(shoal_api_token_equal("abc", 3, "abc", 3));
	assert_false(shoal_api_token_equal("abc", 3, "abd", 3));
	assert_false(shoal_api_token_equal("abc", 3, "xbc", 3));
	assert_false(shoal_api_token_equal("abc", 3, "ab", 2));
	assert_false(shoal_api_token_equal("abc", 3, "abcabc", 6)); /* wraps: same bytes, longer */
	assert_false(shoal_api_token_equal("abc", 3, "", 0));
	assert_false(shoal_api_token_equal("aaa", 3, "a", 1));
}

static void test_bearer_header(void **state)
{
	(void)state;
	assert_true(shoal_api_bearer_ok("Bearer s3cret", "s3cret"));
	assert_true(shoal_api_bearer_ok("bearer s3cret", "s3cret"));
	assert_true(shoal_api_bearer_ok("Bearer  s3cret ", "s3cret"));
	assert_false(shoal_api_bearer_ok(NULL, "s3cret"));
	assert_false(shoal_api_bearer_ok("", "s3cret"));
	assert_false(shoal_api_bearer_ok("Bearer", "s3cret"));
	assert_false(shoal_api_bearer_ok("Bearer ", "s3cret"));
	assert_false(shoal_api_bearer_ok("Basic s3cret", "s3cret"));
	assert_false(shoal_api_bearer_ok("s3cret", "s3cret"));
	assert_false(shoal_api_bearer_ok("Bearer s3cre", "s3cret"));
	assert_false(shoal_api_bearer_ok("Bearer s3cretX", "s3cret"));
}

static char base[64];

static int dir_setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/shoal-api-auth-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_token_file_created_0600_in_new_0700_dirs(void **state)
{
	(void)state;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/a/b/api.token", base);
	char token[SHOAL_API_TOKEN_MAX], err[256];
	bool created = false;
	umask(022);
	assert_int_equal(shoal_api_token_load(path, token, &created, err, sizeof(err)), 0);
	assert_true(created);
	assert_int_equal(strlen(token), 64);
	assert_int_equal(strspn(token, "0123456789abcdef"), 64);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(dir, sizeof(dir), "%s/a", base);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* The file holds the token and a newline; loading again reads the same token. */
	FILE *f = fopen(path, "r");
	char line[128] = {0};
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(strlen(line), 65);
	assert_int_equal(line[64], '\n');
	char again[SHOAL_API_TOKEN_MAX];
	assert_int_equal(shoal_api_token_load(path, again, &created, err, sizeof(err)), 0);
	assert_false(created);
	assert_string_equal(again, token);
}

static void test_tokens_are_random(void **state)
{
	(void)state;
	char p1[PATH_MAX], p2[PATH_MAX], t1[SHOAL_API_TOKEN_MAX], t2[SHOAL_API_TOKEN_MAX], err[256];
	snprintf(p1, sizeof(p1), "%s/t1", base);
	snprintf(p2, sizeof(p2), "%s/t2", base);
	assert_int_equal(shoal_api_token_load(p1, t1, NULL, err, sizeof(err)), 0);
	assert_int_equal(shoal_api_token_load(p2, t2, NULL, err, sizeof(err)), 0);
	assert_string_not_equal(t1, t2);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0); /* a token file others can read is refused */
}

static void test_existing_token_file(void **state)
{
	(void)state;
	char path[PATH_MAX], token[SHOAL_API_TOKEN_MAX], err[256];
	snprintf(path, sizeof(path), "%s/tok", base);
	write_text(path, "hand-made-token\r\n  \n");
	assert_int_equal(shoal_api_token_load(path, token, NULL, err, sizeof(err)), 0);
	assert_string_equal(token, "hand-made-token");
	static const char *const bad[] = {"", "\n\n", "two words\n", "tab\tinside"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(path, bad[i]);
		err[0] = '\0';
		assert_int_equal(shoal_api_token_load(path, token, NULL, err, sizeof(err)), -1);
		assert_non_null(strstr(err, path));
	}
}

/* The account the permission check runs as when the test itself runs as root (nobody). */
enum { AUTH_TEST_UNPRIVILEGED_ID = 65534 };

/* The check proper, in the forked child (already unprivileged): 0 when it holds, otherwise
 * the number of the step that failed. */
static int unwritable_dir_check(const char *dir)
{
	char path[PATH_MAX], token[SHOAL_API_TOKEN_MAX], err[256] = {0};
	snprintf(path, sizeof(path), "%s/api.token", dir);
	if (shoal_api_token_load(path, token, NULL, err, sizeof(err)) != -1)
		return 10;
	if (!strstr(err, "Permission denied")) {
		fprintf(stderr, "unexpected error: %s\n", err);
		return 11;
	}
	struct stat st;
	if (stat(path, &st) == 0)
		return 12; /* nothing may have been created */
	return 0;
}

/* Root writes anywhere, and make test runs as root: the check runs in a child that drops to
 * nobody first (and proves it cannot get root back), so it runs, and counts, either way. */
static void test_unwritable_token_dir_is_an_error(void **state)
{
	(void)state;
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/ro", base);
	assert_int_equal(mkdir(dir, 0500), 0);
	bool root = geteuid() == 0;
	if (root) { /* nobody owns base and ro; ro stays r-x for its owner */
		assert_int_equal(chown(base, AUTH_TEST_UNPRIVILEGED_ID, AUTH_TEST_UNPRIVILEGED_ID),
		                 0);
		assert_int_equal(chown(dir, AUTH_TEST_UNPRIVILEGED_ID, AUTH_TEST_UNPRIVILEGED_ID),
		                 0);
	}
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (root && (setgroups(0, NULL) != 0 || setgid(AUTH_TEST_UNPRIVILEGED_ID) != 0 ||
		             setuid(AUTH_TEST_UNPRIVILEGED_ID) != 0))
			_exit(2);
		if (geteuid() == 0 || setuid(0) == 0)
			_exit(3); /* still privileged: the check would prove nothing */
		/* _exit: no atexit handlers (LeakSanitizer) in the forked copy. */
		_exit(unwritable_dir_check(dir));
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(dir, 0700);
}

static void test_token_path_through_a_file_is_an_error(void **state)
{
	(void)state;
	char file[256], path[PATH_MAX], token[SHOAL_API_TOKEN_MAX], err[256];
	snprintf(file, sizeof(file), "%s/plain", base);
	write_text(file, "x");
	snprintf(path, sizeof(path), "%s/sub/api.token", file);
	assert_int_equal(shoal_api_token_load(path, token, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_equal),
	    cmocka_unit_test(test_bearer_header),
	    cmocka_unit_test_setup_teardown(test_token_file_created_0600_in_new_0700_dirs,
	                                    dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_tokens_are_random, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_existing_token_file, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_unwritable_token_dir_is_an_error, dir_setup,
	                                    dir_teardown),
	    cmocka_unit_test_setup_teardown(test_token_path_through_a_file_is_an_error, dir_setup,
	                                    dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
