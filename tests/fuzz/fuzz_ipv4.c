/* Fuzz harness: IPv4 header with options (shoal/ipv4.h): parse against a model of the checks,
 * parse -> serialize -> parse, TTL decrement and checksum fill verify, address/prefix text. */
#include "fuzz.h"
#include "shoal/ipv4.h"

static enum shoal_wire_status model_status(const uint8_t *d, size_t len)
{
	if (len < SHOAL_IPV4_MIN_HDR_LEN)
		return SHOAL_WIRE_TRUNCATED;
	if (d[0] >> 4 != 4)
		return SHOAL_WIRE_BAD_VERSION;
	size_t hl = (size_t)(d[0] & 0x0f) * 4;
	if (hl < SHOAL_IPV4_MIN_HDR_LEN || hl > len)
		return SHOAL_WIRE_BAD_HDR_LEN;
	size_t total = (size_t)(d[2] << 8 | d[3]);
	if (total < hl || total > len)
		return SHOAL_WIRE_BAD_TOTAL_LEN;
	if (!fuzz_sum_verifies(fuzz_sum_add(0, d, hl)))
		return SHOAL_WIRE_BAD_CHECKSUM;
	return SHOAL_WIRE_OK;
}

static void check_header(const uint8_t *data, size_t size)
{
	struct shoal_ipv4_hdr h;
	enum shoal_wire_status st = shoal_ipv4_parse(data, size, &h);
	FUZZ_CHECK(st == model_status(data, size));
	if (st != SHOAL_WIRE_OK)
		return;
	size_t hl = shoal_ipv4_hdr_len(&h);
	FUZZ_CHECK(hl == (size_t)(data[0] & 0x0f) * 4);
	FUZZ_CHECK(h.options_len % 4 == 0 && h.options_len <= SHOAL_IPV4_MAX_OPTIONS_LEN);
	FUZZ_CHECK(h.options_len == 0 ? h.options == NULL : h.options == data + 20);
	FUZZ_CHECK(hl <= h.total_len && h.total_len <= size);
	FUZZ_CHECK(h.src == shoal_load_be32(data + 12) && h.dst == shoal_load_be32(data + 16));
	FUZZ_CHECK(h.ttl == data[8] && h.protocol == data[9]);

	/* serialize: same bytes but the checksum (0x0000 and 0xffff both verify) */
	uint8_t out[SHOAL_IPV4_MAX_HDR_LEN];
	FUZZ_CHECK(shoal_ipv4_serialize(&h, out, hl - 1) == 0);
	FUZZ_CHECK(shoal_ipv4_serialize(&h, out, sizeof(out)) == hl);
	FUZZ_CHECK(memcmp(out, data, 10) == 0 && memcmp(out + 12, data + 12, hl - 12) == 0);
	FUZZ_CHECK(fuzz_sum_verifies(fuzz_sum_add(0, out, hl)));
	struct shoal_ipv4_hdr h2;
	FUZZ_CHECK(shoal_ipv4_parse(out, hl, &h2) ==
	           (h.total_len == hl ? SHOAL_WIRE_OK : SHOAL_WIRE_BAD_TOTAL_LEN));

	/* TTL decrement: incremental update equals a verifying header */
	uint8_t hdr[SHOAL_IPV4_MAX_HDR_LEN];
	memcpy(hdr, data, hl);
	if (h.ttl > 0) {
		FUZZ_CHECK(shoal_ipv4_ttl_decrement(hdr) == h.ttl - 1);
		FUZZ_CHECK(hdr[8] == h.ttl - 1);
		FUZZ_CHECK(fuzz_sum_verifies(fuzz_sum_add(0, hdr, hl)));
		FUZZ_CHECK(memcmp(hdr, data, 8) == 0 && memcmp(hdr + 12, data + 12, hl - 12) == 0);
	}
	/* checksum fill on a corrupted checksum restores a verifying header */
	hdr[10] ^= 0x5a;
	shoal_ipv4_checksum_fill(hdr, hl);
	FUZZ_CHECK(fuzz_sum_verifies(fuzz_sum_add(0, hdr, hl)));

	/* serialize any option length: only multiples of 4 up to 40 */
	struct shoal_ipv4_hdr bad = h;
	bad.options = data;
	bad.options_len = (size_t)data[1] % 64;
	size_t n = shoal_ipv4_serialize(&bad, out, sizeof(out));
	FUZZ_CHECK(
	    n == ((bad.options_len % 4 == 0 && bad.options_len <= 40) ? 20 + bad.options_len : 0));
}

static void check_text(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char text[SHOAL_IPV4_PREFIX_STRLEN];
	uint32_t a = 0x01020304;
	enum shoal_wire_status st = shoal_ipv4_addr_parse(s, &a);
	FUZZ_CHECK(st == SHOAL_WIRE_OK || (st == SHOAL_WIRE_BAD_TEXT && a == 0x01020304));
	if (st == SHOAL_WIRE_OK) /* accepted text is canonical: the formatter gives it back */
		FUZZ_CHECK(strcmp(shoal_ipv4_addr_format(a, text), s) == 0);

	uint32_t p = 7;
	uint8_t pl = 99;
	st = shoal_ipv4_prefix_parse(s, &p, &pl);
	if (st == SHOAL_WIRE_OK) {
		FUZZ_CHECK(pl <= 32 && (p & ~shoal_ipv4_prefix_mask(pl)) == 0);
		FUZZ_CHECK(strcmp(shoal_ipv4_prefix_format(p, pl, text), s) == 0);
	} else {
		FUZZ_CHECK(st == SHOAL_WIRE_BAD_TEXT || st == SHOAL_WIRE_BAD_PREFIX_LEN ||
		           st == SHOAL_WIRE_HOST_BITS_SET);
		FUZZ_CHECK(p == 7 && pl == 99);
	}
	free(s);

	/* any address and prefix formats to text that parses back */
	struct fuzz_in in = {data, size};
	uint32_t v = fuzz_u32(&in);
	uint8_t len = fuzz_u8(&in) % 33;
	uint32_t back;
	FUZZ_CHECK(shoal_ipv4_addr_parse(shoal_ipv4_addr_format(v, text), &back) == SHOAL_WIRE_OK &&
	           back == v);
	v &= shoal_ipv4_prefix_mask(len);
	FUZZ_CHECK(shoal_ipv4_prefix_parse(shoal_ipv4_prefix_format(v, len, text), &p, &pl) ==
	               SHOAL_WIRE_OK &&
	           p == v && pl == len);
}

/* One option updated in a copy of the area: only its pointer/flags byte and its own bytes
 * change, its type and length never, the pointer never goes back. */
static void check_option_update(const uint8_t *area, size_t len, uint8_t off, int kind)
{
	uint8_t c[SHOAL_IPV4_MAX_OPTIONS_LEN];
	memcpy(c, area, len);
	uint8_t *o = c + off;
	uint32_t next;
	if (kind == 0)
		(void)shoal_ipv4_opt_route_record(o, 0x0a000001);
	else if (kind == 1)
		(void)shoal_ipv4_opt_ts_stamp(o, 0x0a000001, 0x01020304);
	else if (shoal_ipv4_opt_srr_next(o, &next))
		FUZZ_CHECK(next == shoal_load_be32(o + o[2] - 1));
	FUZZ_CHECK(o[0] == area[off] && o[1] == area[off + 1] && o[2] >= area[off + 2]);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(c[i] == area[i] || (i >= off && i < (size_t)off + area[off + 1]));
}

static void check_options(const uint8_t *data, size_t size)
{
	size_t len = size < SHOAL_IPV4_MAX_OPTIONS_LEN ? size : SHOAL_IPV4_MAX_OPTIONS_LEN;
	struct shoal_ipv4_opts r;
	size_t bad = SIZE_MAX;
	enum shoal_wire_status st = shoal_ipv4_opts_parse(data, len, &r, &bad);
	if (st != SHOAL_WIRE_OK) {
		FUZZ_CHECK(st == SHOAL_WIRE_BAD_OPTION || st == SHOAL_WIRE_BAD_OPTION_LEN);
		FUZZ_CHECK(bad < len);
		return;
	}
	const uint8_t offs[3] = {r.rr, r.ts, r.srr};
	const uint8_t types[3] = {SHOAL_IPV4_OPT_RR, SHOAL_IPV4_OPT_TS,
	                          r.srr_strict ? SHOAL_IPV4_OPT_SSRR : SHOAL_IPV4_OPT_LSRR};
	for (int k = 0; k < 3; k++) {
		if (offs[k] == SHOAL_IPV4_OPT_NONE)
			continue;
		FUZZ_CHECK(offs[k] + 2u < len && data[offs[k]] == types[k]);
		FUZZ_CHECK((size_t)offs[k] + data[offs[k] + 1] <= len);
		check_option_update(data, len, offs[k], k);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_header(data, size);
	check_options(data, size);
	check_text(data, size);
	return 0;
}
