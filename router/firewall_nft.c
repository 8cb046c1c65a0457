/* firewall_nft.c — the nftables backend through libnftnl + libmnl: shoald's own table
 * `ip shoal`. Contract: include/shoal/firewall.h. */
#include "shoal/firewall.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>

static const char nft_table[] = "shoal";

enum {
	NFT_BATCH_SIZE = 16384,
	NFT_RECV_SIZE = 8192, /* MNL_SOCKET_BUFFER_SIZE is a runtime value (page size) */
	NFT_ACK_TIMEOUT_MS = 2000,
	NFT_PRIO_DSTNAT = -100,
	NFT_PRIO_SRCNAT = 100,
};

static int nft_fail(char *err, size_t err_size, const char *what, int e)
{
	snprintf(err, err_size, "nftables: %s: %s", what, strerror(e));
	return -e;
}

static struct mnl_socket *nft_open(char *err, size_t err_size, int *rc)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (nl == NULL) {
		*rc = nft_fail(err, err_size, "netlink socket", errno);
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*rc = nft_fail(err, err_size, "netlink bind", errno);
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* ---- batches -------------------------------------------------------------------------- */

struct nft_batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	unsigned acks; /* messages that asked for an ACK */
	char buf[NFT_BATCH_SIZE];
};

static void nft_batch_start(struct nft_batch *nb)
{
	nb->b = mnl_nlmsg_batch_start(nb->buf, sizeof(nb->buf));
	nb->seq = (uint32_t)time(NULL);
	nb->acks = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
}

static struct nlmsghdr *nft_batch_msg(struct nft_batch *nb, uint16_t type, uint16_t flags)
{
	nb->acks++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(nb->b), type, NFPROTO_IPV4,
	                             flags | NLM_F_ACK, nb->seq++);
}

static void nft_table_put(struct nft_batch *nb, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	if (t == NULL)
		return;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, nft_table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	nftnl_table_nlmsg_build_payload(nft_batch_msg(nb, type, flags), t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(nb->b);
}

static void nft_chain_put(struct nft_batch *nb, const char *name, uint32_t hook, int prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (c == NULL)
		return;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, nft_table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_nlmsg_build_payload(nft_batch_msg(nb, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(nb->b);
}

static void nft_expr_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(r, e);
}

static struct nftnl_expr *nft_expr_u32(const char *name, uint16_t a1, uint32_t v1, uint16_t a2,
                                       uint32_t v2)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);
	if (e) {
		nftnl_expr_set_u32(e, a1, v1);
		nftnl_expr_set_u32(e, a2, v2);
	}
	return e;
}

static struct nftnl_expr *nft_expr_cmp_eq(const void *data, uint32_t len)
{
	struct nftnl_expr *e =
	    nft_expr_u32("cmp", NFTNL_EXPR_CMP_SREG, NFT_REG_1, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	if (e)
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return e;
}

/* role MARK:       iifname IF ct mark set M counter comment "shoald IF"
 * role MASQUERADE: ct mark M counter masquerade comment "shoald IF" */
static void nft_rule_put(struct nft_batch *nb, const struct shoal_fw_spec *s,
                         enum shoal_fw_role role)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (r == NULL)
		return;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, nft_table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN,
	                   role == SHOAL_FW_ROLE_MARK ? "prerouting" : "postrouting");
	if (role == SHOAL_FW_ROLE_MARK) {
		char ifname[IFNAMSIZ] = {0};
		snprintf(ifname, sizeof(ifname), "%s", s->ifname);
		nft_expr_add(r, nft_expr_u32("meta", NFTNL_EXPR_META_KEY, NFT_META_IIFNAME,
		                             NFTNL_EXPR_META_DREG, NFT_REG_1));
		nft_expr_add(r, nft_expr_cmp_eq(ifname, sizeof(ifname)));
		struct nftnl_expr *imm = nftnl_expr_alloc("immediate");
		if (imm) {
			nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
			nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DATA, s->mark);
		}
		nft_expr_add(r, imm);
		nft_expr_add(r, nft_expr_u32("ct", NFTNL_EXPR_CT_KEY, NFT_CT_MARK,
		                             NFTNL_EXPR_CT_SREG, NFT_REG_1));
		nft_expr_add(r, nftnl_expr_alloc("counter"));
	} else {
		nft_expr_add(r, nft_expr_u32("ct", NFTNL_EXPR_CT_KEY, NFT_CT_MARK,
		                             NFTNL_EXPR_CT_DREG, NFT_REG_1));
		nft_expr_add(r, nft_expr_cmp_eq(&s->mark, sizeof(s->mark)));
		nft_expr_add(r, nftnl_expr_alloc("counter"));
		nft_expr_add(r, nftnl_expr_alloc("masq"));
	}
	char comment[SHOAL_FW_COMMENT_MAX];
	shoal_fw_comment(s->ifname, comment);
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	if (u) {
		nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment);
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
		                    nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
	}
	nftnl_rule_nlmsg_build_payload(
	    nft_batch_msg(nb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND), r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(nb->b);
}

/* Sends the batch and collects one answer per ACK-requesting message (bounded in time).
 * Returns 0, or the first error the kernel reported (-errno); ignore_enoent drops -ENOENT
 * (deleting a table that is not there). */
static int nft_batch_send(struct mnl_socket *nl, struct nft_batch *nb, bool ignore_enoent)
{
	nftnl_batch_end(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(nb->b), mnl_nlmsg_batch_size(nb->b)) < 0) {
		int e = errno;
		mnl_nlmsg_batch_stop(nb->b);
		return -e;
	}
	mnl_nlmsg_batch_stop(nb->b);
	int first = 0;
	unsigned left = nb->acks;
	char buf[NFT_RECV_SIZE];
	int fd = mnl_socket_get_fd(nl);
	while (left > 0) {
		fd_set rfds;
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		struct timeval tv = {.tv_sec = NFT_ACK_TIMEOUT_MS / 1000,
		                     .tv_usec = (NFT_ACK_TIMEOUT_MS % 1000) * 1000};
		int r = select(fd + 1, &rfds, NULL, NULL, &tv);
		if (r <= 0)
			return first ? first : (r == 0 ? -ETIMEDOUT : -errno);
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return first ? first : -errno;
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int len = (int)n;
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			left = left > 0 ? left - 1 : 0;
			if (e->error == 0 || (ignore_enoent && e->error == -ENOENT))
				continue;
			if (first == 0)
				first = e->error;
			/* after an error the kernel aborts the batch: answers may stop */
			left = 0;
		}
	}
	return first;
}

/* ---- operations ----------------------------------------------------------------------- */

static int nft_remove(const char *ifname, unsigned *removed, char *err, size_t err_size)
{
	(void)ifname; /* the whole table is shoald's */
	if (removed)
		*removed = 0;
	size_t n = 0;
	struct shoal_fw_rule rules[SHOAL_FW_RULES_MAX];
	char lerr[128];
	int have = shoal_fw_nft.list(ifname, rules, SHOAL_FW_RULES_MAX, &n, lerr, sizeof(lerr));
	int rc = 0;
	struct mnl_socket *nl = nft_open(err, err_size, &rc);
	if (nl == NULL)
		return rc;
	struct nft_batch *nb = malloc(sizeof(*nb));
	if (nb == NULL) {
		mnl_socket_close(nl);
		return nft_fail(err, err_size, "delete table ip shoal", ENOMEM);
	}
	nft_batch_start(nb);
	nft_table_put(nb, NFT_MSG_DELTABLE, 0);
	rc = nft_batch_send(nl, nb, true);
	if (rc < 0)
		nft_fail(err, err_size, "delete table ip shoal", -rc);
	else if (removed && have == 0)
		*removed = (unsigned)n;
	free(nb);
	mnl_socket_close(nl);
	return rc;
}

static int nft_install(const struct shoal_fw_spec *s, char *err, size_t err_size)
{
	int rc = 0;
	struct mnl_socket *nl = nft_open(err, err_size, &rc);
	if (nl == NULL)
		return rc;
	struct nft_batch *nb = malloc(sizeof(*nb));
	if (nb == NULL) {
		mnl_socket_close(nl);
		return nft_fail(err, err_size, "table ip shoal", ENOMEM);
	}
	/* One transaction: (add, delete) empties any leftover table, then ours goes in. */
	nft_batch_start(nb);
	nft_table_put(nb, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nft_table_put(nb, NFT_MSG_DELTABLE, 0);
	nft_table_put(nb, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nft_chain_put(nb, "prerouting", NF_INET_PRE_ROUTING, NFT_PRIO_DSTNAT);
	nft_chain_put(nb, "postrouting", NF_INET_POST_ROUTING, NFT_PRIO_SRCNAT);
	nft_rule_put(nb, s, SHOAL_FW_ROLE_MARK);
	nft_rule_put(nb, s, SHOAL_FW_ROLE_MASQUERADE);
	rc = nft_batch_send(nl, nb, false);
	if (rc < 0)
		nft_fail(err, err_size,
		         "install table ip shoal (nat chains, ct mark, masquerade need the "
		         "nf_tables, nft_chain_nat, nft_ct and nft_masq modules)",
		         -rc);
	free(nb);
	mnl_socket_close(nl);
	return rc;
}

/* ---- reading rules back --------------------------------------------------------------- */

struct nft_render {
	struct shoal_fw_rule *r;
	size_t len;
	int pending;  /* what the last load put in a register: 0 none, 1 iifname, 2 ct mark */
	uint32_t imm; /* last immediate value */
	bool has_imm;
	bool ct_set;
	bool masq;
	bool has_ct_match;
	uint32_t ct_match;
};

__attribute__((format(printf, 2, 3))) static void nft_render_put(struct nft_render *d,
                                                                 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t cap = sizeof(d->r->text);
	if (d->len < cap) {
		int n = vsnprintf(d->r->text + d->len, cap - d->len, fmt, ap);
		if (n > 0)
			d->len += (size_t)n;
	}
	va_end(ap);
}

static int nft_render_expr(struct nftnl_expr *e, void *data)
{
	struct nft_render *d = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const char *sep = d->len ? " " : "";
	uint32_t len = 0;
	if (strcmp(name, "meta") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG) &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_IIFNAME) {
		d->pending = 1;
	} else if (strcmp(name, "ct") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG) &&
	           nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_MARK) {
		d->pending = 2;
	} else if (strcmp(name, "cmp") == 0) {
		const void *v = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		if (d->pending == 1 && v) {
			char ifn[IFNAMSIZ] = {0};
			memcpy(ifn, v, len < sizeof(ifn) - 1 ? len : sizeof(ifn) - 1);
			snprintf(d->r->ifname, sizeof(d->r->ifname), "%s", ifn);
			nft_render_put(d, "%siifname \"%s\"", sep, ifn);
		} else if (d->pending == 2 && v && len == 4) {
			memcpy(&d->ct_match, v, 4);
			d->has_ct_match = true;
			nft_render_put(d, "%sct mark 0x%08x", sep, d->ct_match);
		} else {
			nft_render_put(d, "%scmp", sep);
		}
		d->pending = 0;
	} else if (strcmp(name, "immediate") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_DATA)) {
		const void *v = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
		if (v && len == 4) {
			memcpy(&d->imm, v, 4);
			d->has_imm = true;
		}
	} else if (strcmp(name, "ct") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG)) {
		d->ct_set = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_MARK && d->has_imm;
		nft_render_put(d, "%sct mark set 0x%08x", sep, d->imm);
	} else if (strcmp(name, "counter") == 0) {
		d->r->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		d->r->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
		nft_render_put(d, "%scounter packets %llu bytes %llu", sep,
		               (unsigned long long)d->r->packets, (unsigned long long)d->r->bytes);
	} else if (strcmp(name, "masq") == 0) {
		d->masq = true;
		nft_render_put(d, "%smasquerade", sep);
	} else {
		nft_render_put(d, "%s%s", sep, name);
	}
	return 0;
}

/* The rule comment from the userdata TLVs (type, length, value). */
static void nft_rule_comment(const struct nftnl_rule *r, char *out, size_t size)
{
	out[0] = '\0';
	uint32_t len = 0;
	const uint8_t *u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	for (uint32_t off = 0; u && off + 2 <= len;) {
		uint8_t type = u[off], l = u[off + 1];
		if (off + 2 + l > len)
			break;
		if (type == NFTNL_UDATA_RULE_COMMENT && l > 0) {
			size_t n = l < size ? l : size - 1;
			memcpy(out, u + off + 2, n);
			out[n] = '\0';
			return;
		}
		off += 2u + l;
	}
}

struct nft_list_ctx {
	const char *comment;
	struct shoal_fw_rule *out;
	size_t cap;
	size_t total;
};

static int nft_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_list_ctx *c = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (r == NULL)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return MNL_CB_OK;
	}
	const char *table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	char comment[64];
	nft_rule_comment(r, comment, sizeof(comment));
	if (table && strcmp(table, nft_table) == 0 && strcmp(comment, c->comment) == 0) {
		if (c->total < c->cap) {
			struct shoal_fw_rule *fr = &c->out[c->total];
			memset(fr, 0, sizeof(*fr));
			snprintf(fr->chain, sizeof(fr->chain), "%s",
			         nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
			struct nft_render d = {.r = fr};
			nftnl_expr_foreach(r, nft_render_expr, &d);
			nft_render_put(&d, " comment \"%s\"", comment);
			if (strcmp(fr->chain, "prerouting") == 0 && d.ct_set) {
				fr->role = SHOAL_FW_ROLE_MARK;
				fr->mark = d.imm;
			} else if (strcmp(fr->chain, "postrouting") == 0 && d.masq &&
			           d.has_ct_match) {
				fr->role = SHOAL_FW_ROLE_MASQUERADE;
				fr->mark = d.ct_match;
			} else {
				fr->role = SHOAL_FW_ROLE_OTHER;
			}
		}
		c->total++;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int nft_list(const char *ifname, struct shoal_fw_rule *out, size_t cap, size_t *total,
                    char *err, size_t err_size)
{
	char comment[SHOAL_FW_COMMENT_MAX];
	shoal_fw_comment(ifname, comment);
	*total = 0;
	int rc = 0;
	struct mnl_socket *nl = nft_open(err, err_size, &rc);
	if (nl == NULL)
		return rc;
	char buf[NFT_RECV_SIZE];
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh =
	    nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_IPV4, NLM_F_DUMP, seq);
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (r == NULL) {
		mnl_socket_close(nl);
		return nft_fail(err, err_size, "list rules", ENOMEM);
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, nft_table);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	struct nft_list_ctx c = {.comment = comment, .out = out, .cap = cap};
	uint32_t portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = nft_fail(err, err_size, "list rules", errno);
	} else {
		for (;;) {
			ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
			if (n < 0) {
				rc = nft_fail(err, err_size, "list rules", errno);
				break;
			}
			int ret = mnl_cb_run(buf, (size_t)n, seq, portid, nft_list_cb, &c);
			if (ret < 0) {
				/* no table: nothing of ours */
				if (errno != ENOENT)
					rc = nft_fail(err, err_size, "list rules", errno);
				break;
			}
			if (ret == MNL_CB_STOP)
				break;
		}
	}
	*total = c.total;
	mnl_socket_close(nl);
	return rc;
}

const struct shoal_fw_backend shoal_fw_nft = {
    .name = "nftables",
    .where = "table ip shoal (nftables)",
    .install = nft_install,
    .remove = nft_remove,
    .list = nft_list,
};
