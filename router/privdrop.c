/* Least privilege: user switch, per-thread capabilities, NoNewPrivs, seccomp (see privdrop.h). */
#include "shoal/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	PRIV_PWBUF = 16384,
	PRIV_CAP_WORDS = 2, /* _LINUX_CAPABILITY_VERSION_3: 64 bits in two words */
};

#define PRIV_DEFAULT_USER "shoal"

int shoal_priv_lookup(const char *user, bool *found, uid_t *uid, gid_t *gid, char *err,
                      size_t err_size)
{
	const char *name = user[0] ? user : PRIV_DEFAULT_USER;
	char buf[PRIV_PWBUF];
	struct passwd pw, *r = NULL;
	int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &r);
	*found = r != NULL;
	if (r) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		return 0;
	}
	if (!user[0])
		return 0; /* the default user is optional */
	snprintf(err, err_size, "user \"%s\": %s", name, rc != 0 ? strerror(rc) : "no such user");
	return -1;
}

static int priv_capget(struct __user_cap_data_struct d[PRIV_CAP_WORDS])
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	return (int)syscall(SYS_capget, &h, d);
}

static int priv_capset(const struct __user_cap_data_struct d[PRIV_CAP_WORDS])
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	return (int)syscall(SYS_capset, &h, d);
}

static uint64_t priv_keep_mask(const struct shoal_priv_plan *plan)
{
	uint64_t keep = 1ull << CAP_NET_ADMIN;
	if (plan->keep_net_raw)
		keep |= 1ull << CAP_NET_RAW;
	return keep;
}

/* This thread's permitted and effective sets become keep (a subset of what it has),
 * inheritable empty. */
static int priv_set_caps(uint64_t keep, char *err, size_t err_size)
{
	struct __user_cap_data_struct d[PRIV_CAP_WORDS] = {0};
	if (priv_capget(d) != 0) {
		snprintf(err, err_size, "capget: %s", strerror(errno));
		return -1;
	}
	uint64_t have = (uint64_t)d[0].permitted | ((uint64_t)d[1].permitted << 32);
	keep &= have;
	for (unsigned w = 0; w < PRIV_CAP_WORDS; w++) {
		d[w].permitted = d[w].effective = (uint32_t)(keep >> (32 * w));
		d[w].inheritable = 0;
	}
	if (priv_capset(d) != 0) {
		snprintf(err, err_size, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool priv_has_effective(unsigned cap)
{
	struct __user_cap_data_struct d[PRIV_CAP_WORDS] = {0};
	if (priv_capget(d) != 0)
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1u;
}

int shoal_priv_drop_process(const struct shoal_priv_plan *plan, struct shoal_priv_result *res,
                            char *err, size_t err_size)
{
	memset(res, 0, sizeof(*res));
	uint64_t keep = priv_keep_mask(plan);
	bool found = false;
	uid_t uid = 0;
	gid_t gid = 0;
	if (shoal_priv_lookup(plan->user, &found, &uid, &gid, err, err_size) != 0)
		return -1;
	uid_t me = geteuid();
	if (me != 0 && plan->user[0] && found && uid != me) {
		snprintf(err, err_size,
		         "user \"%s\": cannot switch to it when not started as root (running as "
		         "uid %u)",
		         plan->user, (unsigned)me);
		return -1;
	}
	/* 1. bounding set (needs CAP_SETPCAP: root has it; systemd's ambient setup has not,
	 * and NoNewPrivs below makes the bounding set moot for us then) and ambient set. */
	if (priv_has_effective(CAP_SETPCAP)) {
		for (unsigned cap = 0; cap < 64; cap++) {
			if ((keep >> cap) & 1u)
				continue;
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
				if (errno == EINVAL)
					break; /* past the kernel's last capability */
				snprintf(err, err_size, "PR_CAPBSET_DROP %u: %s", cap,
				         strerror(errno));
				return -1;
			}
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
		snprintf(err, err_size, "PR_CAP_AMBIENT_CLEAR_ALL: %s", strerror(errno));
		return -1;
	}
	/* 2. identity */
	if (me == 0 && found && uid != 0) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(1, &gid) != 0 ||
		    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
			snprintf(err, err_size, "switching to uid %u gid %u: %s", (unsigned)uid,
			         (unsigned)gid, strerror(errno));
			return -1;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		/* setuid made the process non-dumpable; dumpable again lets the sanitizers' leak
		 * check and debuggers of the same user attach — the kernel still refuses ptrace
		 * to a tracer lacking CAP_NET_ADMIN, since our permitted set is not a subset of
		 * its own. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		res->switched = true;
		res->uid = uid;
		res->gid = gid;
		snprintf(res->user, sizeof(res->user), "%s",
		         plan->user[0] ? plan->user : PRIV_DEFAULT_USER);
	} else {
		res->uid = me;
		res->gid = getegid();
	}
	/* 3. this thread's sets */
	if (priv_set_caps(keep, err, err_size) != 0)
		return -1;
	if (me == 0 && res->switched && setresuid(0, 0, 0) == 0) {
		snprintf(err, err_size, "uid 0 could be regained after the switch");
		return -1;
	}
	/* 4. no exec can gain anything back */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, err_size, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The first syscall argument compared with op to v (SCMP_A0 leaves datum_b to a designated
 * initializer, which clang's -Wmissing-field-initializers reports). */
static struct scmp_arg_cmp privdrop_arg0(enum scmp_compare op, scmp_datum_t v)
{
	struct scmp_arg_cmp c = {.arg = 0, .op = op, .datum_a = v, .datum_b = 0};
	return c;
}

static int priv_seccomp(char *err, size_t err_size)
{
	static const int denied[] = {
	    SCMP_SYS(execve),
	    SCMP_SYS(execveat),
	    SCMP_SYS(ptrace),
	    SCMP_SYS(process_vm_readv),
	    SCMP_SYS(process_vm_writev),
	    SCMP_SYS(setuid),
	    SCMP_SYS(setgid),
	    SCMP_SYS(setreuid),
	    SCMP_SYS(setregid),
	    SCMP_SYS(setresuid),
	    SCMP_SYS(setresgid),
	    SCMP_SYS(setfsuid),
	    SCMP_SYS(setfsgid),
	    SCMP_SYS(setgroups),
	    SCMP_SYS(capset),
	    SCMP_SYS(unshare),
	    SCMP_SYS(setns),
	    SCMP_SYS(mount),
	    SCMP_SYS(umount2),
	    SCMP_SYS(pivot_root),
	    SCMP_SYS(chroot),
	    SCMP_SYS(fsopen),
	    SCMP_SYS(fsmount),
	    SCMP_SYS(move_mount),
	    SCMP_SYS(open_tree),
	    SCMP_SYS(init_module),
	    SCMP_SYS(finit_module),
	    SCMP_SYS(delete_module),
	    SCMP_SYS(kexec_load),
	    SCMP_SYS(kexec_file_load),
	    SCMP_SYS(bpf),
	    SCMP_SYS(perf_event_open),
	    SCMP_SYS(keyctl),
	    SCMP_SYS(add_key),
	    SCMP_SYS(request_key),
	    SCMP_SYS(userfaultfd),
	    SCMP_SYS(reboot),
	    SCMP_SYS(swapon),
	    SCMP_SYS(swapoff),
	    SCMP_SYS(open_by_handle_at),
	    SCMP_SYS(personality),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, err_size, "seccomp_init failed");
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(denied) / sizeof(denied[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	/* socket(): only the families the API and its handlers use */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
		                      privdrop_arg0(SCMP_CMP_GT, AF_NETLINK));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
		                      privdrop_arg0(SCMP_CMP_LT, AF_UNIX));
	for (int fam = AF_UNIX + 1; rc == 0 && fam < AF_NETLINK; fam++)
		if (fam != AF_INET)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
			                      privdrop_arg0(SCMP_CMP_EQ, (scmp_datum_t)fam));
	if (rc == 0)
		rc = seccomp_load(ctx); /* sets NoNewPrivs for this thread when needed */
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, err_size, "seccomp: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int shoal_priv_drop_thread(char *err, size_t err_size)
{
	if (priv_set_caps(0, err, err_size) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, err_size, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return priv_seccomp(err, err_size);
}
