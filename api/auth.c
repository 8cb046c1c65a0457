/* The bearer token: file and check (see api_auth.h). */
#include "shoal/api_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

bool shoal_api_token_equal(const char *expected, size_t expected_len, const char *given,
                           size_t given_len)
{
	/* Walk the expected token whatever was given; lengths are not secret. */
	volatile unsigned char diff = expected_len != given_len;
	for (size_t i = 0; i < expected_len; i++) {
		unsigned char g = given_len ? (unsigned char)given[i % given_len] : 0;
		diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
	}
	return diff == 0;
}

bool shoal_api_bearer_ok(const char *header, const char *token)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return false;
	const char *given = header + 7;
	while (*given == ' ')
		given++;
	size_t len = strlen(given);
	while (len > 0 && (given[len - 1] == ' ' || given[len - 1] == '\t'))
		len--;
	return shoal_api_token_equal(token, strlen(token), given, len);
}

/* mkdir -p of path's parent directories, each new one mode 0700. */
static int auth_make_parents(const char *path, char *err, size_t err_size)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, err_size, "token file %s: path too long", path);
		return -1;
	}
	char *last = strrchr(dir, '/');
	if (!last || last == dir)
		return 0;
	*last = '\0';
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(err, err_size, "token file %s: cannot create directory %s: %s",
			         path, dir, strerror(errno));
			return -1;
		}
		if (end)
			return 0;
		*p = '/';
	}
}

static int auth_create(const char *path, char token[SHOAL_API_TOKEN_MAX], char *err,
                       size_t err_size)
{
	uint8_t raw[32];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_size, "token file %s: getrandom: %s", path,
			         strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_size, "token file %s: %s", path, strerror(errno));
		return -1;
	}
	char line[SHOAL_API_TOKEN_MAX + 1];
	int len = snprintf(line, sizeof(line), "%s\n", token);
	bool ok = fchmod(fd, 0600) == 0 && write(fd, line, (size_t)len) == len && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	if (!ok) {
		unlink(path);
		snprintf(err, err_size, "token file %s: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}

/* The token file must be the daemon's own secret: a regular file (never a symlink), owned by
 * the daemon's user, readable by nobody else (like ssh with its keys). */
static int auth_file_check(int fd, const char *path, char *err, size_t err_size)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, err_size, "token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "token file %s: refused: not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(
		    err, err_size,
		    "token file %s: refused: owned by uid %u, not by the daemon's user (uid %u)",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, err_size,
		         "token file %s: refused: mode %04o lets group or others at it "
		         "(chmod 600 %s)",
		         path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int shoal_api_token_load(const char *path, char token[SHOAL_API_TOKEN_MAX], bool *created,
                         char *err, size_t err_size)
{
	if (created)
		*created = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		if (auth_make_parents(path, err, err_size) != 0 ||
		    auth_create(path, token, err, err_size) != 0)
			return -1;
		if (created)
			*created = true;
		return 0;
	}
	if (fd < 0 && errno == ELOOP) {
		struct stat st;
		bool dangling = stat(path, &st) < 0;
		snprintf(
		    err, err_size,
		    "token file %s: refused: a symbolic link%s; the token file must be a regular "
		    "file (point api.token_file at it)",
		    path, dangling ? " to nothing (dangling)" : "");
		return -1;
	}
	if (fd < 0) {
		snprintf(err, err_size, "token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (auth_file_check(fd, path, err, err_size) != 0) {
		close(fd);
		return -1;
	}
	char buf[SHOAL_API_TOKEN_MAX + 64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, err_size, "token file %s: %s", path, strerror(saved));
		return -1;
	}
	size_t len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
	                   buf[len - 1] == '\t'))
		len--;
	bool printable = len > 0 && len < SHOAL_API_TOKEN_MAX;
	for (size_t i = 0; printable && i < len; i++)
		printable = buf[i] > ' ' && buf[i] < 0x7f;
	if (!printable) {
		snprintf(err, err_size,
		         "token file %s: expected one token of 1..%d printable characters", path,
		         SHOAL_API_TOKEN_MAX - 1);
		return -1;
	}
	memcpy(token, buf, len);
	token[len] = '\0';
	return 0;
}
