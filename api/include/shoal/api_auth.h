/*
 * api_auth.h — the API's bearer token: the token file and the request check.
 *
 * Role: shoal_api_token_load() reads the token from the token file, creating the file (and
 * its missing parent directories, mode 0700) with a fresh token when it does not exist: 32
 * bytes from getrandom() as 64 lowercase hex digits plus a newline, mode 0600, created with
 * O_EXCL and fsync'ed. An existing file's token is its content without trailing whitespace:
 * 1..SHOAL_API_TOKEN_MAX - 1 printable non-space ASCII characters. An existing file is refused
 * (like ssh with its keys) unless it is a regular file owned by the daemon's user (euid) with
 * no group or other permission bits; it is opened with O_NOFOLLOW, so a symlink (dangling or
 * not) is refused with a message saying so. shoal_api_bearer_ok()
 * checks an Authorization header value ("Bearer TOKEN", scheme case-insensitive) in time
 * independent of where the given token differs from the real one.
 *
 * Ownership: the caller owns every buffer; nothing is kept. Any thread.
 */
#ifndef SHOAL_API_AUTH_H
#define SHOAL_API_AUTH_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

enum { SHOAL_API_TOKEN_MAX = 257 };

/* Constant-time (in the contents; the time depends only on the lengths) equality. */
bool shoal_api_token_equal(const char *expected, size_t expected_len, const char *given,
                           size_t given_len);

/* header: the Authorization header value or NULL. */
bool shoal_api_bearer_ok(const char *header, const char *token);

/* Loads or creates. Returns 0 with the token in token[SHOAL_API_TOKEN_MAX] (*created tells
 * whether the file was made now; created may be NULL), or -1 with one line in err, e.g.
 * "token file /x/api.token: Permission denied". */
int shoal_api_token_load(const char *path, char token[SHOAL_API_TOKEN_MAX], bool *created,
                         char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
