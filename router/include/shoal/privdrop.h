/*
 * privdrop.h — least privilege for shoald: the user it runs as, the capabilities each thread
 * keeps, NoNewPrivs and the seccomp filter of the HTTP threads.
 *
 * Role: shoal_priv_drop_process() runs once on the data-plane thread (shoald's main thread),
 * after the devices, sockets and host setup are ready and before any other thread exists:
 *   1. the bounding set loses every capability but the kept ones (when CAP_SETPCAP allows),
 *      the ambient set is cleared;
 *   2. when started as root and a target user is found: supplementary groups dropped,
 *      gid and uid switched (setresgid/setresuid, PR_SET_KEEPCAPS kept across);
 *   3. the thread's permitted and effective sets become exactly the kept ones (CAP_NET_ADMIN,
 *      plus CAP_NET_RAW when keep_net_raw: libiptc opens a raw socket to remove the
 *      masquerade rules at exit), inheritable empty;
 *   4. PR_SET_NO_NEW_PRIVS.
 * shoal_priv_drop_thread() runs on the short-lived thread that starts the HTTP server: it
 * clears all of that thread's capabilities and installs the seccomp filter; the threads it
 * creates inherit both (capabilities and filters are per thread on Linux).
 *
 * User: cfg "user" names it; "" means "shoal" when that user exists, else no switch. A
 * named user that does not exist is an error. Not root (e.g. systemd User=shoal with
 * AmbientCapabilities=CAP_NET_ADMIN): no switch is possible or needed; a configured user
 * other than the current one is an error; the capabilities are still cut down.
 *
 * Seccomp (libseccomp): a deny list, default allow; each listed system call fails with
 * EPERM: program execution (execve, execveat), tracing and other processes' memory
 * (ptrace, process_vm_*), identity and capability changes (set*id, setgroups, capset),
 * namespaces and mounts (unshare, setns, mount, umount2, pivot_root, chroot, fsopen...),
 * kernel loading (init_module, finit_module, delete_module, kexec_*), bpf, perf_event_open,
 * keyrings, userfaultfd, reboot, swapon/off, and socket() of any family but AF_INET,
 * AF_UNIX and AF_NETLINK.
 *
 * Errors: -1 with one line in err; the process must then stop (a partial drop is not a
 * state to run in).
 */
#ifndef SHOAL_PRIVDROP_H
#define SHOAL_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shoal_priv_plan {
	const char *user; /* cfg->user: "" = "shoal" if it exists */
	bool keep_net_raw;
};

/* What the drop did, for the log. */
struct shoal_priv_result {
	bool switched; /* uid/gid changed */
	uid_t uid;
	gid_t gid;
	char user[33]; /* the user switched to, or "" */
};

/* Resolves plan->user: 0 and *uid, *gid filled (found: true), or not found (only an error
 * when the name was given). */
int shoal_priv_lookup(const char *user, bool *found, uid_t *uid, gid_t *gid, char *err,
                      size_t err_size);

int shoal_priv_drop_process(const struct shoal_priv_plan *plan, struct shoal_priv_result *res,
                            char *err, size_t err_size);

int shoal_priv_drop_thread(char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
