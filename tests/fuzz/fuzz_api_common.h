/* fuzz_api_common.h — checks shared by the API harnesses: every error is the documented
 * {"error":{"code","message"[,"index"]}} shape, valid JSON quoting the same code and message. */
#ifndef SHOAL_FUZZ_API_COMMON_H
#define SHOAL_FUZZ_API_COMMON_H

#include <jansson.h>

#include "fuzz.h"
#include "shoal/api_request.h"

static inline void fuzz_api_check_error(const struct shoal_api_error *e)
{
	FUZZ_CHECK(e->http_status >= 400 && e->http_status <= 599);
	FUZZ_CHECK(memchr(e->code, '\0', sizeof(e->code)) && e->code[0]);
	FUZZ_CHECK(memchr(e->message, '\0', sizeof(e->message)) && e->message[0]);
	FUZZ_CHECK(strchr(e->message, '\n') == NULL);
	char *text = shoal_api_error_json(e);
	if (!text)
		fprintf(stderr, "no error body for code %s message \"%s\"\n", e->code, e->message);
	FUZZ_CHECK(text != NULL);
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_t *err = json_object_get(root, "error");
	FUZZ_CHECK(json_is_object(err));
	FUZZ_CHECK(json_is_string(json_object_get(err, "code")) &&
	           strcmp(json_string_value(json_object_get(err, "code")), e->code) == 0);
	FUZZ_CHECK(json_is_string(json_object_get(err, "message")));
	json_t *index = json_object_get(err, "index");
	FUZZ_CHECK(e->index >= 0 ? json_integer_value(index) == e->index : index == NULL);
	json_decref(root);
	free(text);
}

#endif
