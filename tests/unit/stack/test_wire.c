/* test_wire.c — wire status names and big-endian helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shoal/wire.h"

static void test_status_names_distinct_and_nonempty(void **state)
{
	(void)state;
	assert_int_equal(SHOAL_WIRE_OK, 0);
	assert_string_equal(shoal_wire_status_name(SHOAL_WIRE_OK), "ok");
	assert_string_equal(shoal_wire_status_name(SHOAL_WIRE_BAD_OPTION_LEN), "bad_option_len");
	assert_string_equal(shoal_wire_status_name(SHOAL_WIRE_STATUS_COUNT_), "unknown");
	for (int i = 0; i < SHOAL_WIRE_STATUS_COUNT_; i++) {
		assert_true(strlen(shoal_wire_status_name((enum shoal_wire_status)i)) > 0);
		assert_true(strlen(shoal_wire_status_desc((enum shoal_wire_status)i)) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(shoal_wire_status_name((enum shoal_wire_status)i),
			                        shoal_wire_status_name((enum shoal_wire_status)j));
	}
}

static void test_big_endian_helpers(void **state)
{
	(void)state;
	uint8_t b[4];
	shoal_store_be32(b, 0x0a000001);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[3], 0x01);
	assert_int_equal(shoal_load_be32(b), 0x0a000001);
	shoal_store_be16(b, 0xbeef);
	assert_int_equal(b[0], 0xbe);
	assert_int_equal(b[1], 0xef);
	assert_int_equal(shoal_load_be16(b), 0xbeef);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_names_distinct_and_nonempty),
	    cmocka_unit_test(test_big_endian_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
