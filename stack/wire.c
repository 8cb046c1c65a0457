/* wire.c — status names for the wire-format modules; contract in include/shoal/wire.h. */
#include "shoal/wire.h"

#define WIRE_NAME_(suffix, name, desc) name,
static const char *const wire_status_names[] = {SHOAL_WIRE_STATUSES(WIRE_NAME_)};
#undef WIRE_NAME_

#define WIRE_DESC_(suffix, name, desc) desc,
static const char *const wire_status_descs[] = {SHOAL_WIRE_STATUSES(WIRE_DESC_)};
#undef WIRE_DESC_

const char *shoal_wire_status_name(enum shoal_wire_status s)
{
	if ((unsigned)s >= SHOAL_WIRE_STATUS_COUNT_)
		return "unknown";
	return wire_status_names[s];
}

const char *shoal_wire_status_desc(enum shoal_wire_status s)
{
	if ((unsigned)s >= SHOAL_WIRE_STATUS_COUNT_)
		return "unknown status";
	return wire_status_descs[s];
}
