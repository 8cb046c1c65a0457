/* Tests for router/log.c: levels, -v/-q adjustment, prefixes, one line per message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "shoal/log.h"

static int pipefd[2];

static int setup(void **state)
{
	(void)state;
	if (pipe(pipefd) != 0)
		return -1;
	shoal_log_set_output(pipefd[1], false);
	shoal_log_set_level(SHOAL_LOG_INFO);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shoal_log_set_output(2, false);
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

/* Everything written so far (the pipe is written synchronously by shoal_log). */
static const char *drain(void)
{
	static char buf[8192];
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	close(pipefd[0]);
	assert_int_equal(pipe(pipefd), 0);
	shoal_log_set_output(pipefd[1], false);
	return buf;
}

static void test_levels_filter_and_prefix(void **state)
{
	(void)state;
	shoal_log(SHOAL_LOG_ERROR, "e%d", 1);
	shoal_log(SHOAL_LOG_WARN, "w");
	shoal_log(SHOAL_LOG_INFO, "i");
	shoal_log(SHOAL_LOG_DEBUG, "d");
	assert_string_equal(drain(), "error: e1\nwarning: w\ninfo: i\n");
}

static void test_verbose_and_quiet_adjust(void **state)
{
	(void)state;
	shoal_log_adjust(+1); /* -v */
	assert_int_equal(shoal_log_get_level(), SHOAL_LOG_DEBUG);
	assert_true(shoal_log_enabled(SHOAL_LOG_DEBUG));
	shoal_log_adjust(+5); /* clamped */
	assert_int_equal(shoal_log_get_level(), SHOAL_LOG_DEBUG);
	shoal_log(SHOAL_LOG_DEBUG, "d");
	assert_string_equal(drain(), "debug: d\n");
	shoal_log_adjust(-2); /* -qq from debug: warn */
	shoal_log(SHOAL_LOG_INFO, "i");
	shoal_log(SHOAL_LOG_WARN, "w");
	assert_string_equal(drain(), "warning: w\n");
	shoal_log_adjust(-10);
	assert_int_equal(shoal_log_get_level(), SHOAL_LOG_ERROR);
	shoal_log(SHOAL_LOG_WARN, "w");
	shoal_log(SHOAL_LOG_ERROR, "e");
	assert_string_equal(drain(), "error: e\n");
}

static void test_journal_prefixes(void **state)
{
	(void)state;
	shoal_log_set_output(pipefd[1], true);
	shoal_log_set_level(SHOAL_LOG_DEBUG);
	shoal_log(SHOAL_LOG_ERROR, "e");
	shoal_log(SHOAL_LOG_WARN, "w");
	shoal_log(SHOAL_LOG_INFO, "i");
	shoal_log(SHOAL_LOG_DEBUG, "d");
	assert_string_equal(drain(), "<3>e\n<4>w\n<6>i\n<7>d\n");
}

static void test_long_line_truncated_to_one_line(void **state)
{
	(void)state;
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	shoal_log(SHOAL_LOG_ERROR, "%s", big);
	const char *out = drain();
	/* One line of SHOAL_LOG_LINE_MAX - 1 bytes with the newline, ending in "...". */
	assert_int_equal(strlen(out), SHOAL_LOG_LINE_MAX - 1);
	assert_ptr_equal(strchr(out, '\n'), out + SHOAL_LOG_LINE_MAX - 2);
	assert_memory_equal(out + SHOAL_LOG_LINE_MAX - 5, "...", 3);
	assert_memory_equal(out, "error: xxx", 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_levels_filter_and_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verbose_and_quiet_adjust, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_prefixes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line_truncated_to_one_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
