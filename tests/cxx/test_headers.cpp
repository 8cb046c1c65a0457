// C++ includes every public header and calls into all three C libraries (stack, router,
// api). Without the headers' extern "C" guards these calls would name C++-mangled symbols
// that the libraries do not define, and this program would not link.
// g++ -Wshadow: a function named like its struct "hides the constructor". shoal_netif_config
// was renamed apart (main() proves it); the stats getters shoal_netif_stats,
// shoal_router_stats, shoal_dp_stats and shoal_dp_if_stats still share their struct's name
// (legal C++: callers write `struct shoal_dp_stats`), so the warning is off for the headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "all_public_headers.h"
#pragma GCC diagnostic pop

#include <cstdio>
#include <cstring>

static int failures;

static void check(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "FAIL: %s\n", what);
		failures++;
	}
}

int main()
{
	// stack
	uint32_t addr = 0;
	check(shoal_ipv4_addr_parse("10.1.2.3", &addr) == SHOAL_WIRE_OK && addr == 0x0a010203u,
	      "shoal_ipv4_addr_parse");
	char text[SHOAL_IPV4_ADDR_STRLEN];
	check(std::strcmp(shoal_ipv4_addr_format(0xc0a80001u, text), "192.168.0.1") == 0,
	      "shoal_ipv4_addr_format");
	static const uint8_t zeros[4] = {0, 0, 0, 0};
	check(shoal_checksum(zeros, sizeof(zeros)) == 0xffff, "shoal_checksum");
	check(shoal_wrap32_unwrap(5, 0, 0) == 5, "shoal_wrap32_unwrap");
	// The struct and its getter have different names: in C++ the bare struct name is the type
	// (a function of the same name would hide it and this would not compile).
	shoal_netif_config netif_cfg{};
	const shoal_netif_config *(*getter)(const shoal_netif *) = shoal_netif_config_get;
	check(netif_cfg.cache_size == 0 && getter != nullptr, "shoal_netif_config_get");

	// router
	check(shoal_plugin_name_valid("static_arp") && !shoal_plugin_name_valid("../x"),
	      "shoal_plugin_name_valid");
	check(shoal_loop_clock_ms() > 0, "shoal_loop_clock_ms");

	// api
	check(shoal_api_token_equal("abc", 3, "abc", 3) &&
	          !shoal_api_token_equal("abc", 3, "abd", 3),
	      "shoal_api_token_equal");

	if (failures == 0)
		std::printf(
		    "C++: every public header included, stack/router/api calls linked and ran\n");
	return failures == 0 ? 0 : 1;
}
