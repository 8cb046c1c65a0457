/*
 * Fuzz harness: the state store's import of state.json (shoal/state.h: shoal_state_parse).
 *
 * shoal_state_parse is what the SQLite store (store.c) imports a state.json with on first start.
 * Accepted text: every entry is canonical (no host bits, bounded lengths, an interface or a
 * next hop), and parsing the same text again gives the same entries. Refused text: the struct
 * stays empty and the message names the file. (The rows' round trip through state.db is the
 * store's unit tests' job: test_store.c.)
 */
#include "fuzz.h"
#include "shoal/ipv4.h"
#include "shoal/state.h"

static void check_same(const struct shoal_state *a, const struct shoal_state *b)
{
	FUZZ_CHECK(a->n_routes == b->n_routes && a->n_deleted == b->n_deleted &&
	           a->n_arp == b->n_arp);
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct shoal_state_route *r = &a->routes[i], *s = &b->routes[i];
		FUZZ_CHECK(r->prefix == s->prefix && r->prefix_len == s->prefix_len &&
		           r->has_next_hop == s->has_next_hop &&
		           (!r->has_next_hop || r->next_hop == s->next_hop) &&
		           strcmp(r->interface, s->interface) == 0);
	}
	for (size_t i = 0; i < a->n_deleted; i++)
		FUZZ_CHECK(a->deleted[i].prefix == b->deleted[i].prefix &&
		           a->deleted[i].prefix_len == b->deleted[i].prefix_len);
	for (size_t i = 0; i < a->n_arp; i++)
		FUZZ_CHECK(a->arp[i].ip == b->arp[i].ip &&
		           memcmp(a->arp[i].mac, b->arp[i].mac, 6) == 0 &&
		           strcmp(a->arp[i].interface, b->arp[i].interface) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_state s = {0}, t = {0};
	static const struct shoal_state empty;
	char err[512];
	if (shoal_state_parse((const char *)data, size, "state.json", &s, err, sizeof(err)) != 0) {
		FUZZ_CHECK(memcmp(&s, &empty, sizeof(s)) == 0);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && strncmp(err, "state.json", 10) == 0);
		return 0;
	}
	for (size_t i = 0; i < s.n_routes; i++) {
		const struct shoal_state_route *r = &s.routes[i];
		FUZZ_CHECK(r->prefix_len <= 32 &&
		           (r->prefix & ~shoal_ipv4_prefix_mask(r->prefix_len)) == 0);
		FUZZ_CHECK(memchr(r->interface, '\0', sizeof(r->interface)) != NULL);
		FUZZ_CHECK(r->has_next_hop || r->interface[0]);
	}
	for (size_t i = 0; i < s.n_deleted; i++)
		FUZZ_CHECK(
		    s.deleted[i].prefix_len <= 32 &&
		    (s.deleted[i].prefix & ~shoal_ipv4_prefix_mask(s.deleted[i].prefix_len)) == 0);
	FUZZ_CHECK(shoal_state_parse((const char *)data, size, "state.json", &t, err, sizeof(err)) ==
	           0);
	check_same(&s, &t);
	shoal_state_free(&t);
	shoal_state_free(&s);
	static const struct shoal_state zero;
	FUZZ_CHECK(memcmp(&s, &zero, sizeof(s)) == 0);
	return 0;
}
