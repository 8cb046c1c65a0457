/* log.c — leveled, line-atomic logging to stderr. Contract in include/shoal/log.h. */
#include "shoal/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int log_level = SHOAL_LOG_INFO;
static atomic_int log_fd = 2;
static atomic_bool log_journal = false;

static const char *const log_prefix_text[] = {"error: ", "warning: ", "info: ", "debug: "};
static const char *const log_prefix_journal[] = {"<3>", "<4>", "<6>", "<7>"};

static int log_level_clamp(int level)
{
	if (level < SHOAL_LOG_ERROR)
		return SHOAL_LOG_ERROR;
	if (level > SHOAL_LOG_DEBUG)
		return SHOAL_LOG_DEBUG;
	return level;
}

void shoal_log_set_level(enum shoal_log_level level)
{
	atomic_store(&log_level, log_level_clamp((int)level));
}

enum shoal_log_level shoal_log_get_level(void)
{
	return (enum shoal_log_level)atomic_load(&log_level);
}

void shoal_log_adjust(int delta)
{
	atomic_store(&log_level, log_level_clamp(atomic_load(&log_level) + delta));
}

bool shoal_log_enabled(enum shoal_log_level level)
{
	return (int)level <= atomic_load(&log_level);
}

void shoal_log_set_output(int fd, bool journal)
{
	atomic_store(&log_fd, fd);
	atomic_store(&log_journal, journal);
}

void shoal_log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	shoal_log_set_output(2, js != NULL && js[0] != '\0');
}

void shoal_log_v(enum shoal_log_level level, const char *fmt, va_list ap)
{
	if (!shoal_log_enabled(level))
		return;
	int lv = log_level_clamp((int)level);
	char line[SHOAL_LOG_LINE_MAX];
	const char *prefix =
	    atomic_load(&log_journal) ? log_prefix_journal[lv] : log_prefix_text[lv];
	size_t plen = strlen(prefix);
	memcpy(line, prefix, plen);
	/* Leave room for the newline. */
	size_t room = sizeof(line) - plen - 1;
	int n = vsnprintf(line + plen, room, fmt, ap);
	if (n < 0)
		n = 0;
	size_t len = plen + ((size_t)n < room ? (size_t)n : room - 1);
	if ((size_t)n >= room)
		memcpy(line + len - 3, "...", 3);
	line[len++] = '\n';
	ssize_t w = write(atomic_load(&log_fd), line, len);
	(void)w; /* nowhere to report a failed log write */
}

void shoal_log(enum shoal_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	shoal_log_v(level, fmt, ap);
	va_end(ap);
}
