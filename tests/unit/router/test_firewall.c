/*
 * test_firewall.c — the two host firewall backends (libiptc, libnftnl) against the kernel.
 * Runs in a private network namespace (unshare(CLONE_NEWNET), needs root): netfilter tables
 * are per namespace, so nothing here touches the host's firewall. The host's own tools
 * (iptables-legacy, nft; scripts/install-deps.sh test) add the unrelated rules.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shoal/firewall.h"

static char err[512];

static size_t list(const struct shoal_fw_backend *fw, const char *ifname, struct shoal_fw_rule *r)
{
	size_t n = 99;
	assert_int_equal(fw->list(ifname, r, SHOAL_FW_RULES_MAX, &n, err, sizeof(err)), 0);
	return n;
}

/* Output of a shell command (first line), run in this test's namespace. */
static int sh_count(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	int n = -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static void check_installed(const struct shoal_fw_backend *fw, uint32_t mark)
{
	struct shoal_fw_rule r[SHOAL_FW_RULES_MAX];
	assert_int_equal(list(fw, "up0", r), 2);
	assert_int_equal(r[0].role, SHOAL_FW_ROLE_MARK);
	assert_int_equal(r[0].mark, mark);
	assert_string_equal(r[0].ifname, "up0");
	assert_int_equal(r[1].role, SHOAL_FW_ROLE_MASQUERADE);
	assert_int_equal(r[1].mark, mark);
	assert_int_equal(r[0].packets, 0);
	assert_non_null(strstr(r[1].text, "shoald up0"));
}

static void backend_cycle(const struct shoal_fw_backend *fw, const char *foreign_add,
                          const char *foreign_count, const char *drop_masq)
{
	struct shoal_fw_rule r[SHOAL_FW_RULES_MAX];
	struct shoal_fw_spec spec = {.ifname = "up0", .mark = 144};
	unsigned removed = 7;

	assert_int_equal(system(foreign_add), 0);
	assert_int_equal(list(fw, "up0", r), 0);
	assert_int_equal(fw->install(&spec, err, sizeof(err)), 0);
	check_installed(fw, 144);
	/* installing again (a restart, or leftovers of a kill -9) never duplicates */
	assert_int_equal(fw->install(&spec, err, sizeof(err)), 0);
	check_installed(fw, 144);
	/* another mark replaces, does not add */
	spec.mark = 7;
	assert_int_equal(fw->install(&spec, err, sizeof(err)), 0);
	check_installed(fw, 7);
	/* another interface's rules are not ours */
	assert_int_equal(list(fw, "up1", r), 0);
	/* a rule deleted behind our back is missing from the list */
	assert_int_equal(system(drop_masq), 0);
	assert_int_equal(list(fw, "up0", r), 1);
	assert_int_equal(r[0].role, SHOAL_FW_ROLE_MARK);
	/* remove: ours go, the host's own rule stays */
	assert_int_equal(fw->remove("up0", &removed, err, sizeof(err)), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(list(fw, "up0", r), 0);
	assert_int_equal(sh_count(foreign_count), 1);
	/* removing when nothing is there is fine */
	assert_int_equal(fw->remove("up0", &removed, err, sizeof(err)), 0);
	assert_int_equal(removed, 0);
}

static void test_iptc(void **state)
{
	(void)state;
	backend_cycle(
	    &shoal_fw_iptc, "iptables-legacy -t nat -A POSTROUTING -s 10.77.0.0/16 -j MASQUERADE",
	    "iptables-legacy -t nat -S POSTROUTING | grep -c 10.77.0.0/16",
	    "iptables-legacy -t nat -D POSTROUTING $(iptables-legacy -t nat -S POSTROUTING"
	    " | grep -v '^-P' | grep -n 'shoald up0' | cut -d: -f1)");
}

static void test_nft(void **state)
{
	(void)state;
	backend_cycle(
	    &shoal_fw_nft,
	    "nft add table ip hostnat && nft 'add chain ip hostnat post { type nat hook "
	    "postrouting priority 100; }' && nft add rule ip hostnat post ip saddr 10.77.0.0/16 "
	    "masquerade",
	    "nft list ruleset | grep -c 'ip saddr 10.77.0.0/16'",
	    "nft delete rule ip shoal postrouting handle $(nft -a list chain ip shoal postrouting"
	    " | sed -n 's/.*masquerade.* handle \\([0-9]*\\)$/\\1/p')");
	/* the table is shoald's: removing it removes everything in it */
	assert_int_equal(sh_count("nft list tables | grep -c 'table ip shoal'"), 0);
}

static void test_names_and_choice(void **state)
{
	(void)state;
	char c[SHOAL_FW_COMMENT_MAX];
	shoal_fw_comment("up0", c);
	assert_string_equal(c, "shoald up0");
	assert_ptr_equal(shoal_fw_backend_for(SHOAL_CONFIG_FW_LEGACY), &shoal_fw_iptc);
	assert_ptr_equal(shoal_fw_backend_for(SHOAL_CONFIG_FW_NFT), &shoal_fw_nft);
	/* auto follows what /usr/sbin/iptables resolves to */
	enum shoal_config_firewall a = shoal_fw_auto();
	int legacy = sh_count("readlink -f /usr/sbin/iptables | grep -c legacy");
	assert_int_equal(a, legacy == 1 ? SHOAL_CONFIG_FW_LEGACY : SHOAL_CONFIG_FW_NFT);
	assert_string_equal(shoal_fw_role_name(SHOAL_FW_ROLE_MASQUERADE), "masquerade");
}

static int group_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (tests need root)\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iptc),
	    cmocka_unit_test(test_nft),
	    cmocka_unit_test(test_names_and_choice),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
