/* wrap32.c — wrapping sequence numbers; contract in include/shoal/wrap32.h. */
#include "shoal/wrap32.h"

uint32_t shoal_wrap32_wrap(uint64_t n, uint32_t isn)
{
	return (uint32_t)(isn + (uint32_t)n);
}

uint64_t shoal_wrap32_unwrap(uint32_t seqno, uint32_t isn, uint64_t checkpoint)
{
	const uint64_t span = UINT64_C(1) << 32;
	/* Forward distance from the checkpoint's own wrapped value to seqno. */
	uint32_t ahead = seqno - shoal_wrap32_wrap(checkpoint, isn);
	uint64_t up = checkpoint + ahead;
	if (ahead <= UINT32_C(0x80000000) && up >= checkpoint)
		return up; /* going forward is at least as close (and did not overflow) */
	if (up < span)
		return up; /* going back would be negative */
	return up - span;
}
