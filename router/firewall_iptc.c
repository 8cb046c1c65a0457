/* firewall_iptc.c — the iptables-legacy backend through libiptc (libip4tc).
 * Contract: include/shoal/firewall.h. */
#include "shoal/firewall.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_connmark.h>

static const char iptc_table[] = "nat";
static const xt_chainlabel iptc_chains[] = {"PREROUTING", "POSTROUTING"};

static int iptc_fail(char *err, size_t err_size, const char *what, int e)
{
	snprintf(err, err_size, "iptables-legacy: %s: %s", what, iptc_strerror(e));
	return e > 0 ? -e : -EIO;
}

/* ---- building entries ---------------------------------------------------------------- */

struct iptc_rule_buf {
	size_t len;
	_Alignas(8) unsigned char b[1024];
};

static void *iptc_put(struct iptc_rule_buf *rb, size_t size)
{
	void *p = rb->b + rb->len;
	rb->len += XT_ALIGN(size);
	return p;
}

static void iptc_put_match(struct iptc_rule_buf *rb, const char *name, uint8_t rev,
                           const void *data, size_t size)
{
	struct xt_entry_match *m = iptc_put(rb, sizeof(*m));
	memcpy(iptc_put(rb, size), data, size);
	m->u.match_size = (uint16_t)(XT_ALIGN(sizeof(*m)) + XT_ALIGN(size));
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = rev;
}

static void iptc_put_target(struct iptc_rule_buf *rb, struct ipt_entry *e, const char *name,
                            uint8_t rev, const void *data, size_t size)
{
	e->target_offset = (uint16_t)rb->len;
	struct xt_entry_target *t = iptc_put(rb, sizeof(*t));
	memcpy(iptc_put(rb, size), data, size);
	t->u.target_size = (uint16_t)(XT_ALIGN(sizeof(*t)) + XT_ALIGN(size));
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	t->u.user.revision = rev;
	e->next_offset = (uint16_t)rb->len;
}

static struct ipt_entry *iptc_entry_start(struct iptc_rule_buf *rb)
{
	memset(rb, 0, sizeof(*rb));
	return iptc_put(rb, sizeof(struct ipt_entry));
}

static void iptc_put_comment(struct iptc_rule_buf *rb, const char *ifname)
{
	struct xt_comment_info c;
	memset(&c, 0, sizeof(c));
	shoal_fw_comment(ifname, c.comment);
	iptc_put_match(rb, "comment", 0, &c, sizeof(c));
}

/* -A PREROUTING -i IF -m comment --comment "shoald IF" -j CONNMARK --set-xmark M/0xffffffff */
static struct ipt_entry *iptc_mark_entry(struct iptc_rule_buf *rb, const struct shoal_fw_spec *s)
{
	struct ipt_entry *e = iptc_entry_start(rb);
	size_t n = strlen(s->ifname);
	memcpy(e->ip.iniface, s->ifname, n);
	memset(e->ip.iniface_mask, 0xff, n + 1);
	iptc_put_comment(rb, s->ifname);
	struct xt_connmark_tginfo2 t = {
	    .ctmark = s->mark, .ctmask = 0xffffffffu, .nfmask = 0, .mode = XT_CONNMARK_SET};
	iptc_put_target(rb, e, "CONNMARK", 2, &t, sizeof(t));
	return e;
}

/* -A POSTROUTING -m connmark --mark M -m comment --comment "shoald IF" -j MASQUERADE */
static struct ipt_entry *iptc_masq_entry(struct iptc_rule_buf *rb, const struct shoal_fw_spec *s)
{
	struct ipt_entry *e = iptc_entry_start(rb);
	struct xt_connmark_mtinfo1 m = {.mark = s->mark, .mask = 0xffffffffu, .invert = 0};
	iptc_put_match(rb, "connmark", 1, &m, sizeof(m));
	iptc_put_comment(rb, s->ifname);
	struct nf_nat_ipv4_multi_range_compat t;
	memset(&t, 0, sizeof(t));
	t.rangesize = 1;
	iptc_put_target(rb, e, "MASQUERADE", 0, &t, sizeof(t));
	return e;
}

/* ---- reading entries ------------------------------------------------------------------- */

struct iptc_parsed {
	bool ours;
	bool has_connmark;
	uint32_t connmark;
	char target[XT_EXTENSION_MAXNAMELEN];
	bool target_connmark_set;
	uint32_t set_mark;
	char iniface[IFNAMSIZ];
};

static void iptc_parse(const struct ipt_entry *e, const char *comment, struct iptc_parsed *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned off = sizeof(*e); off + sizeof(struct xt_entry_match) <= e->target_offset;) {
		const struct xt_entry_match *m = (const void *)((const char *)e + off);
		if (m->u.match_size < sizeof(*m) || off + m->u.match_size > e->target_offset)
			break;
		size_t dlen = m->u.match_size - XT_ALIGN(sizeof(*m));
		if (strcmp(m->u.user.name, "comment") == 0 &&
		    dlen >= sizeof(struct xt_comment_info)) {
			const struct xt_comment_info *c = (const void *)m->data;
			p->ours = strncmp(c->comment, comment, sizeof(c->comment)) == 0;
		} else if (strcmp(m->u.user.name, "connmark") == 0 &&
		           dlen >= sizeof(struct xt_connmark_mtinfo1)) {
			const struct xt_connmark_mtinfo1 *c = (const void *)m->data;
			p->has_connmark = true;
			p->connmark = c->mark;
		}
		off += m->u.match_size;
	}
	const struct xt_entry_target *t = (const void *)((const char *)e + e->target_offset);
	snprintf(p->target, sizeof(p->target), "%s", t->u.user.name);
	size_t tlen = t->u.target_size - XT_ALIGN(sizeof(*t));
	if (strcmp(p->target, "CONNMARK") == 0 && t->u.user.revision == 2 &&
	    tlen >= sizeof(struct xt_connmark_tginfo2)) {
		const struct xt_connmark_tginfo2 *c = (const void *)t->data;
		p->target_connmark_set = c->mode == XT_CONNMARK_SET;
		p->set_mark = c->ctmark;
	}
	memcpy(p->iniface, e->ip.iniface, sizeof(p->iniface));
	p->iniface[IFNAMSIZ - 1] = '\0';
}

static void iptc_describe(const char *chain, const struct iptc_parsed *p, const char *comment,
                          struct shoal_fw_rule *r)
{
	memset(r, 0, sizeof(*r));
	/* chain names are at most 28 characters (XT_EXTENSION_MAXNAMELEN): r->chain holds any */
	if (snprintf(r->chain, sizeof(r->chain), "%s", chain) >= (int)sizeof(r->chain))
		r->chain[sizeof(r->chain) - 1] = '\0';
	snprintf(r->ifname, sizeof(r->ifname), "%s", p->iniface);
	char in[40] = "";
	char cm[40] = "";
	char tgt[64];
	if (p->iniface[0])
		snprintf(in, sizeof(in), " -i %s", p->iniface);
	if (p->has_connmark)
		snprintf(cm, sizeof(cm), " -m connmark --mark 0x%x", p->connmark);
	if (strcmp(p->target, "CONNMARK") == 0 && p->target_connmark_set)
		snprintf(tgt, sizeof(tgt), "CONNMARK --set-xmark 0x%x/0xffffffff", p->set_mark);
	else
		snprintf(tgt, sizeof(tgt), "%s", p->target);
	snprintf(r->text, sizeof(r->text), "-A %s%s%s -m comment --comment \"%s\" -j %s", chain, in,
	         cm, comment, tgt);
	if (strcmp(chain, "PREROUTING") == 0 && p->target_connmark_set) {
		r->role = SHOAL_FW_ROLE_MARK;
		r->mark = p->set_mark;
	} else if (strcmp(chain, "POSTROUTING") == 0 && strcmp(p->target, "MASQUERADE") == 0 &&
	           p->has_connmark) {
		r->role = SHOAL_FW_ROLE_MASQUERADE;
		r->mark = p->connmark;
	} else {
		r->role = SHOAL_FW_ROLE_OTHER;
	}
}

/* ---- operations ----------------------------------------------------------------------- */

static struct xtc_handle *iptc_open(char *err, size_t err_size, int *rc)
{
	struct xtc_handle *h = iptc_init(iptc_table);
	if (h == NULL)
		*rc = iptc_fail(err, err_size, "nat table", errno);
	return h;
}

/* Deletes our rules from h (not committed). Returns how many. */
static unsigned iptc_remove_in(struct xtc_handle *h, const char *comment)
{
	unsigned removed = 0;
	for (size_t c = 0; c < sizeof(iptc_chains) / sizeof(iptc_chains[0]); c++) {
		bool again = true;
		while (again) {
			again = false;
			unsigned num = 0;
			for (const struct ipt_entry *e = iptc_first_rule(iptc_chains[c], h); e;
			     e = iptc_next_rule(e, h), num++) {
				struct iptc_parsed p;
				iptc_parse(e, comment, &p);
				if (!p.ours)
					continue;
				if (iptc_delete_num_entry(iptc_chains[c], num, h)) {
					removed++;
					again = true; /* numbering changed: rescan */
				}
				break;
			}
		}
	}
	return removed;
}

static int iptc_remove(const char *ifname, unsigned *removed, char *err, size_t err_size)
{
	char comment[SHOAL_FW_COMMENT_MAX];
	shoal_fw_comment(ifname, comment);
	int rc = 0;
	if (removed)
		*removed = 0;
	struct xtc_handle *h = iptc_open(err, err_size, &rc);
	if (h == NULL)
		return rc;
	unsigned n = iptc_remove_in(h, comment);
	if (n > 0 && !iptc_commit(h))
		rc = iptc_fail(err, err_size, "commit (remove rules)", errno);
	else if (removed)
		*removed = n;
	iptc_free(h);
	return rc;
}

static int iptc_install(const struct shoal_fw_spec *s, char *err, size_t err_size)
{
	char comment[SHOAL_FW_COMMENT_MAX];
	shoal_fw_comment(s->ifname, comment);
	int rc = 0;
	struct xtc_handle *h = iptc_open(err, err_size, &rc);
	if (h == NULL)
		return rc;
	/* One commit replaces the table: leftovers out, our two rules in, atomically. */
	iptc_remove_in(h, comment);
	struct iptc_rule_buf rb;
	if (!iptc_append_entry(iptc_chains[0], iptc_mark_entry(&rb, s), h))
		rc = iptc_fail(err, err_size, "append PREROUTING CONNMARK rule", errno);
	else if (!iptc_append_entry(iptc_chains[1], iptc_masq_entry(&rb, s), h))
		rc = iptc_fail(err, err_size, "append POSTROUTING MASQUERADE rule", errno);
	else if (!iptc_commit(h))
		rc = iptc_fail(err, err_size,
		               "commit (CONNMARK/connmark/MASQUERADE/comment need the xt_CONNMARK, "
		               "xt_connmark, xt_MASQUERADE and xt_comment modules)",
		               errno);
	iptc_free(h);
	return rc;
}

static int iptc_list(const char *ifname, struct shoal_fw_rule *out, size_t cap, size_t *total,
                     char *err, size_t err_size)
{
	char comment[SHOAL_FW_COMMENT_MAX];
	shoal_fw_comment(ifname, comment);
	int rc = 0;
	*total = 0;
	struct xtc_handle *h = iptc_open(err, err_size, &rc);
	if (h == NULL)
		return rc;
	for (size_t c = 0; c < sizeof(iptc_chains) / sizeof(iptc_chains[0]); c++) {
		for (const struct ipt_entry *e = iptc_first_rule(iptc_chains[c], h); e;
		     e = iptc_next_rule(e, h)) {
			struct iptc_parsed p;
			iptc_parse(e, comment, &p);
			if (!p.ours)
				continue;
			if (*total < cap) {
				struct shoal_fw_rule *r = &out[*total];
				iptc_describe(iptc_chains[c], &p, comment, r);
				r->packets = e->counters.pcnt;
				r->bytes = e->counters.bcnt;
			}
			(*total)++;
		}
	}
	iptc_free(h);
	return 0;
}

const struct shoal_fw_backend shoal_fw_iptc = {
    .name = "iptables-legacy",
    .where = "nat table (iptables-legacy), rules commented \"shoald IF\"",
    .install = iptc_install,
    .remove = iptc_remove,
    .list = iptc_list,
};
