/* ipv4.c — IPv4 header and address/prefix text; contract in include/shoal/ipv4.h. */
#include "shoal/ipv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/checksum.h"

enum shoal_wire_status shoal_ipv4_parse(const uint8_t *buf, size_t len, struct shoal_ipv4_hdr *out)
{
	if (len < SHOAL_IPV4_MIN_HDR_LEN)
		return SHOAL_WIRE_TRUNCATED;
	if (buf[0] >> 4 != 4)
		return SHOAL_WIRE_BAD_VERSION;
	size_t hdr_len = (size_t)(buf[0] & 0xf) * 4;
	if (hdr_len < SHOAL_IPV4_MIN_HDR_LEN || hdr_len > len)
		return SHOAL_WIRE_BAD_HDR_LEN;
	uint16_t total_len = shoal_load_be16(buf + 2);
	if (total_len < hdr_len || total_len > len)
		return SHOAL_WIRE_BAD_TOTAL_LEN;
	if (shoal_checksum(buf, hdr_len) != 0)
		return SHOAL_WIRE_BAD_CHECKSUM;

	out->tos = buf[1];
	out->total_len = total_len;
	out->id = shoal_load_be16(buf + 4);
	out->flags_frag = shoal_load_be16(buf + 6);
	out->ttl = buf[8];
	out->protocol = buf[9];
	out->checksum = shoal_load_be16(buf + 10);
	out->src = shoal_load_be32(buf + 12);
	out->dst = shoal_load_be32(buf + 16);
	out->options_len = hdr_len - SHOAL_IPV4_MIN_HDR_LEN;
	out->options = out->options_len ? buf + SHOAL_IPV4_MIN_HDR_LEN : NULL;
	return SHOAL_WIRE_OK;
}

size_t shoal_ipv4_serialize(const struct shoal_ipv4_hdr *in, uint8_t *buf, size_t cap)
{
	if (in->options_len > SHOAL_IPV4_MAX_OPTIONS_LEN || in->options_len % 4 != 0)
		return 0;
	size_t hdr_len = shoal_ipv4_hdr_len(in);
	if (cap < hdr_len)
		return 0;
	buf[0] = (uint8_t)(0x40 | hdr_len / 4);
	buf[1] = in->tos;
	shoal_store_be16(buf + 2, in->total_len);
	shoal_store_be16(buf + 4, in->id);
	shoal_store_be16(buf + 6, in->flags_frag);
	buf[8] = in->ttl;
	buf[9] = in->protocol;
	shoal_store_be16(buf + 10, 0);
	shoal_store_be32(buf + 12, in->src);
	shoal_store_be32(buf + 16, in->dst);
	if (in->options_len)
		memmove(buf + SHOAL_IPV4_MIN_HDR_LEN, in->options, in->options_len);
	shoal_store_be16(buf + 10, shoal_checksum(buf, hdr_len));
	return hdr_len;
}

uint8_t shoal_ipv4_ttl_decrement(uint8_t *hdr)
{
	uint16_t old_word = shoal_load_be16(hdr + 8); /* TTL, protocol */
	hdr[8]--;
	uint16_t new_word = shoal_load_be16(hdr + 8);
	uint16_t hc = shoal_load_be16(hdr + 10);
	shoal_store_be16(hdr + 10, shoal_checksum_update16(hc, old_word, new_word));
	return hdr[8];
}

void shoal_ipv4_checksum_fill(uint8_t *hdr, size_t hdr_len)
{
	shoal_store_be16(hdr + 10, 0);
	shoal_store_be16(hdr + 10, shoal_checksum(hdr, hdr_len));
}

/* Reads a decimal 0..max with no leading zeros (except "0") and at most max_digits digits;
 * returns the end pointer, or NULL. */
static const char *ipv4_decimal_scan(const char *p, unsigned max_digits, unsigned max,
                                     unsigned *out)
{
	unsigned v = 0, n = 0;
	while (p[n] >= '0' && p[n] <= '9') {
		if (n == max_digits)
			return NULL;
		v = v * 10 + (unsigned)(p[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && p[0] == '0') || v > max)
		return NULL;
	*out = v;
	return p + n;
}

static const char *ipv4_addr_scan(const char *p, uint32_t *out)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v;
		p = ipv4_decimal_scan(p, 3, 255, &v);
		if (!p)
			return NULL;
		a = a << 8 | v;
		if (i < 3) {
			if (*p != '.')
				return NULL;
			p++;
		}
	}
	*out = a;
	return p;
}

enum shoal_wire_status shoal_ipv4_addr_parse(const char *text, uint32_t *out)
{
	uint32_t a;
	const char *end = ipv4_addr_scan(text, &a);
	if (!end || *end != '\0')
		return SHOAL_WIRE_BAD_TEXT;
	*out = a;
	return SHOAL_WIRE_OK;
}

enum shoal_wire_status shoal_ipv4_endpoint_parse(const char *text, uint32_t *addr, uint16_t *port)
{
	uint32_t a;
	const char *p = ipv4_addr_scan(text, &a);
	if (!p || *p != ':')
		return SHOAL_WIRE_BAD_TEXT;
	size_t n = strlen(++p);
	if (n == 0 || n > 5 || strspn(p, "0123456789") != n || (n > 1 && p[0] == '0'))
		return SHOAL_WIRE_BAD_TEXT;
	unsigned long v = strtoul(p, NULL, 10);
	if (v < 1 || v > 65535)
		return SHOAL_WIRE_BAD_TEXT;
	*addr = a;
	*port = (uint16_t)v;
	return SHOAL_WIRE_OK;
}

/* Writes v (0..255) in decimal at p; returns the end. */
static char *ipv4_put_decimal(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* Dotted quad at p (no terminator); returns the end. Hand-rolled: route listings and the
 * state store format one per route, and snprintf cost more than the rest of the row. */
static char *ipv4_put_addr(char *p, uint32_t addr)
{
	for (int shift = 24; shift >= 0; shift -= 8) {
		p = ipv4_put_decimal(p, addr >> shift & 0xff);
		if (shift)
			*p++ = '.';
	}
	return p;
}

char *shoal_ipv4_addr_format(uint32_t addr, char out[SHOAL_IPV4_ADDR_STRLEN])
{
	*ipv4_put_addr(out, addr) = '\0';
	return out;
}

enum shoal_wire_status shoal_ipv4_prefix_parse(const char *text, uint32_t *prefix,
                                               uint8_t *prefix_len)
{
	uint32_t a;
	unsigned n;
	const char *p = ipv4_addr_scan(text, &a);
	if (!p || *p != '/')
		return SHOAL_WIRE_BAD_TEXT;
	p = ipv4_decimal_scan(p + 1, 2, 32, &n);
	if (!p || *p != '\0')
		return SHOAL_WIRE_BAD_PREFIX_LEN;
	if (a & ~shoal_ipv4_prefix_mask(n))
		return SHOAL_WIRE_HOST_BITS_SET;
	*prefix = a;
	*prefix_len = (uint8_t)n;
	return SHOAL_WIRE_OK;
}

char *shoal_ipv4_prefix_format(uint32_t prefix, uint8_t prefix_len,
                               char out[SHOAL_IPV4_PREFIX_STRLEN])
{
	char *p = ipv4_put_addr(out, prefix);
	*p++ = '/';
	*ipv4_put_decimal(p, prefix_len > 99 ? 99 : prefix_len) = '\0';
	return out;
}

/* ---------------------------------------------------------------- options */

static uint32_t ipv4_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ipv4_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum shoal_wire_status shoal_ipv4_opts_parse(const uint8_t *opt, size_t len,
                                             struct shoal_ipv4_opts *out, size_t *bad_off)
{
	out->rr = out->ts = out->srr = SHOAL_IPV4_OPT_NONE;
	out->srr_strict = false;
	size_t i = 0;
	while (i < len) {
		uint8_t type = opt[i];
		if (type == SHOAL_IPV4_OPT_EOL)
			break;
		if (type == SHOAL_IPV4_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) {
			*bad_off = i + 1 < len ? i + 1 : i;
			return SHOAL_WIRE_BAD_OPTION_LEN;
		}
		uint8_t olen = opt[i + 1];
		uint8_t *slot = NULL;
		uint8_t min_len = 3, min_ptr = 4;
		if (type == SHOAL_IPV4_OPT_RR) {
			slot = &out->rr;
		} else if (type == SHOAL_IPV4_OPT_TS) {
			slot = &out->ts;
			min_len = 4;
			min_ptr = 5;
		} else if (type == SHOAL_IPV4_OPT_LSRR || type == SHOAL_IPV4_OPT_SSRR) {
			slot = &out->srr;
			out->srr_strict = type == SHOAL_IPV4_OPT_SSRR;
		}
		if (slot) {
			if (*slot != SHOAL_IPV4_OPT_NONE || olen < min_len) {
				*bad_off = *slot != SHOAL_IPV4_OPT_NONE ? i : i + 1;
				return SHOAL_WIRE_BAD_OPTION;
			}
			if (opt[i + 2] < min_ptr) {
				*bad_off = i + 2;
				return SHOAL_WIRE_BAD_OPTION;
			}
			*slot = (uint8_t)i;
		}
		i += olen;
	}
	return SHOAL_WIRE_OK;
}

bool shoal_ipv4_opt_route_record(uint8_t *o, uint32_t addr)
{
	unsigned olen = o[1], ptr = o[2];
	if (ptr + 3 > olen)
		return false;
	ipv4_put32(o + ptr - 1, addr);
	o[2] = (uint8_t)(ptr + 4);
	return true;
}

bool shoal_ipv4_opt_srr_next(const uint8_t *o, uint32_t *next)
{
	unsigned olen = o[1], ptr = o[2];
	if (ptr + 3 > olen)
		return false;
	*next = ipv4_get32(o + ptr - 1);
	return true;
}

bool shoal_ipv4_opt_ts_stamp(uint8_t *o, uint32_t addr, uint32_t ms)
{
	unsigned olen = o[1], ptr = o[2], flag = o[3] & 0x0f, oflw = o[3] >> 4;
	unsigned need = flag == 0 ? 4 : 8;
	if (flag != 0 && flag != 1 && flag != 3)
		return false;
	if (ptr + need - 1 > olen) {
		if (oflw < 15)
			o[3] = (uint8_t)((oflw + 1) << 4 | flag);
		return true;
	}
	if (flag == 0) {
		ipv4_put32(o + ptr - 1, ms);
	} else {
		if (flag == 3 && ipv4_get32(o + ptr - 1) != addr)
			return true; /* the next slot is for another router */
		ipv4_put32(o + ptr - 1, addr);
		ipv4_put32(o + ptr + 3, ms);
	}
	o[2] = (uint8_t)(ptr + need);
	return true;
}
