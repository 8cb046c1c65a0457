/*
 * log.h — the daemon's diagnostics: one line per message on stderr, with a level prefix.
 *
 * Role: every router/ module and shoald report through shoal_log(). Levels, most to least
 * severe: error, warn, info, debug; messages above the current level are discarded. The
 * default level is info; -v raises it (debug), -q lowers it (warn, then error).
 *
 * Format: "error: text\n", "warning: text\n", "info: text\n", "debug: text\n". When stderr is
 * connected to the systemd journal (environment variable JOURNAL_STREAM set), the prefix is
 * the syslog priority instead ("<3>text", "<4>", "<6>", "<7>") so the journal records the
 * level; timestamps are left to the journal. A line (prefix and newline included) is at most
 * SHOAL_LOG_LINE_MAX - 1 bytes; longer messages are truncated and end in "...".
 *
 * Invariants: each message is written with a single write(2) of a whole line, so lines from
 * several threads never interleave. The level is an atomic: any thread may log or change it.
 * Ownership: the module holds only the level, the output fd and the prefix style (process
 * globals); it allocates nothing.
 */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdarg.h>
#include <stdbool.h>

/* The levels are the plugin ABI's (enum shoal_log_level in plugin.h): one set of names for
 * the daemon and its plugins. */
#include "shoal/plugin.h"

enum { SHOAL_LOG_LINE_MAX = 1024 };

/* Sets the level (clamped to error..debug). */
void shoal_log_set_level(enum shoal_log_level level);
enum shoal_log_level shoal_log_get_level(void);
/* Moves the level by delta (+1 per -v, -1 per -q), clamped to error..debug. */
void shoal_log_adjust(int delta);
bool shoal_log_enabled(enum shoal_log_level level);
/* Output goes to fd (default 2). journal selects the "<N>" prefix style; shoal_log_init()
 * picks it from JOURNAL_STREAM. Meant for main() and tests. */
void shoal_log_set_output(int fd, bool journal);
void shoal_log_init(void);

void shoal_log(enum shoal_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void shoal_log_v(enum shoal_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#ifdef __cplusplus
}
#endif

#endif
