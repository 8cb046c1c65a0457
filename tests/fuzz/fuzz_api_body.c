/*
 * Fuzz harness: every JSON body parser of the API (shoal/api_json.h).
 *
 * Input: one selector byte (route POST, route PUT, batch, ARP, plugin), then the body.
 * Accepted bodies: rendering the parsed struct back to JSON (with the stack's formatters)
 * and parsing that gives the same struct. Refused bodies: a 4xx/5xx with a well-formed JSON
 * error body; a batch error names an operation that exists.
 */
#include "fuzz_api_common.h"
#include "shoal/api_json.h"
#include "shoal/ipv4.h"
#include "shoal/plugin_host.h"

static json_t *route_json(const struct shoal_ctl_route_spec *r, bool with_prefix)
{
	char t[SHOAL_IPV4_PREFIX_STRLEN];
	json_t *o = json_object();
	if (with_prefix)
		json_object_set_new(
		    o, "prefix",
		    json_string(shoal_ipv4_prefix_format(r->prefix, r->prefix_len, t)));
	if (r->has_next_hop)
		json_object_set_new(o, "next_hop",
		                    json_string(shoal_ipv4_addr_format(r->next_hop, t)));
	if (r->has_interface)
		json_object_set_new(o, "interface", json_string(r->interface));
	return o;
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	FUZZ_CHECK(s != NULL);
	return s;
}

static void check_route(const struct shoal_ctl_route_spec *a, const struct shoal_ctl_route_spec *b)
{
	FUZZ_CHECK(a->prefix == b->prefix && a->prefix_len == b->prefix_len &&
	           a->has_next_hop == b->has_next_hop && a->has_interface == b->has_interface);
	FUZZ_CHECK(!a->has_next_hop || a->next_hop == b->next_hop);
	FUZZ_CHECK(!a->has_interface || strcmp(a->interface, b->interface) == 0);
	FUZZ_CHECK(a->prefix_len <= 32 &&
	           (a->prefix & ~shoal_ipv4_prefix_mask(a->prefix_len)) == 0);
	FUZZ_CHECK(a->has_next_hop || a->has_interface);
	if (a->has_interface)
		FUZZ_CHECK(strnlen(a->interface, 16) >= 1 && strnlen(a->interface, 16) <= 15);
}

static void fuzz_route(const char *body, size_t len, bool put)
{
	const struct shoal_ctl_route_spec path = {.prefix = 0x0a020000, .prefix_len = 16};
	struct shoal_ctl_route_spec a, b;
	struct shoal_api_error e;
	if (shoal_api_route_body(body, len, put ? &path : NULL, &a, &e) != 0) {
		fuzz_api_check_error(&e);
		return;
	}
	if (put)
		FUZZ_CHECK(a.prefix == path.prefix && a.prefix_len == path.prefix_len);
	char *text = dump(route_json(&a, !put));
	FUZZ_CHECK(shoal_api_route_body(text, strlen(text), put ? &path : NULL, &b, &e) == 0);
	check_route(&a, &b);
	free(text);
}

static void fuzz_batch(const char *body, size_t len)
{
	static const char *const kinds[] = {"add", "put", "delete"};
	struct shoal_ctl_op *ops = NULL, *again = NULL;
	size_t n = 0, m = 0;
	struct shoal_api_error e;
	if (shoal_api_batch_body(body, len, &ops, &n, &e) != 0) {
		FUZZ_CHECK(ops == NULL && n == 0);
		fuzz_api_check_error(&e);
		return;
	}
	FUZZ_CHECK((n == 0) == (ops == NULL));
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK((unsigned)ops[i].kind <= SHOAL_CTL_OP_DELETE);
		json_t *o = route_json(&ops[i].route, true);
		if (ops[i].kind == SHOAL_CTL_OP_DELETE) {
			json_object_del(o, "next_hop");
			json_object_del(o, "interface");
		}
		json_object_set_new(o, "op", json_string(kinds[ops[i].kind]));
		json_array_append_new(list, o);
	}
	char *text = dump(json_pack("{s:o}", "operations", list));
	FUZZ_CHECK(shoal_api_batch_body(text, strlen(text), &again, &m, &e) == 0 && m == n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(again[i].kind == ops[i].kind);
		if (ops[i].kind == SHOAL_CTL_OP_DELETE)
			FUZZ_CHECK(again[i].route.prefix == ops[i].route.prefix &&
			           again[i].route.prefix_len == ops[i].route.prefix_len);
		else
			check_route(&ops[i].route, &again[i].route);
	}
	free(text);
	free(again);
	free(ops);
}

static void fuzz_arp(const char *body, size_t len)
{
	char ifa[16], ifb[16];
	uint32_t ipa, ipb;
	uint8_t maca[6], macb[6];
	struct shoal_api_error e;
	if (shoal_api_arp_body(body, len, ifa, &ipa, maca, &e) != 0) {
		fuzz_api_check_error(&e);
		return;
	}
	FUZZ_CHECK(strnlen(ifa, sizeof(ifa)) <= 15);
	char t[SHOAL_IPV4_ADDR_STRLEN], mt[SHOAL_MAC_STRLEN];
	struct shoal_mac m;
	memcpy(m.b, maca, 6);
	json_t *o = json_pack("{s:s, s:s}", "ip", shoal_ipv4_addr_format(ipa, t), "mac",
	                      shoal_mac_format(&m, mt));
	if (ifa[0])
		json_object_set_new(o, "interface", json_string(ifa));
	char *text = dump(o);
	FUZZ_CHECK(shoal_api_arp_body(text, strlen(text), ifb, &ipb, macb, &e) == 0);
	FUZZ_CHECK(ipa == ipb && memcmp(maca, macb, 6) == 0 && strcmp(ifa, ifb) == 0);
	free(text);
}

static void fuzz_plugin(const char *body, size_t len)
{
	char na[SHOAL_API_NAME_MAX], nb[SHOAL_API_NAME_MAX];
	char *ca = NULL, *cb = NULL;
	struct shoal_api_error e;
	if (shoal_api_plugin_body(body, len, na, &ca, &e) != 0) {
		FUZZ_CHECK(ca == NULL);
		fuzz_api_check_error(&e);
		return;
	}
	FUZZ_CHECK(shoal_plugin_name_valid(na) && ca != NULL);
	json_t *cfg = json_loads(ca, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(json_is_object(cfg));
	char *text = dump(json_pack("{s:s, s:o}", "name", na, "config", cfg));
	FUZZ_CHECK(shoal_api_plugin_body(text, strlen(text), nb, &cb, &e) == 0);
	FUZZ_CHECK(strcmp(na, nb) == 0 && strcmp(ca, cb) == 0);
	free(text);
	free(ca);
	free(cb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 5) {
	case 0:
		fuzz_route(body, len, false);
		break;
	case 1:
		fuzz_route(body, len, true);
		break;
	case 2:
		fuzz_batch(body, len);
		break;
	case 3:
		fuzz_arp(body, len);
		break;
	default:
		fuzz_plugin(body, len);
		break;
	}
	return 0;
}
