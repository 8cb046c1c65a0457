/* tcp_message.c — TCP message helpers; contract in include/shoal/tcp_message.h. */
#include "shoal/tcp_message.h"

uint64_t shoal_tcp_sender_msg_sequence_length(const struct shoal_tcp_sender_msg *msg)
{
	return (uint64_t)msg->syn + msg->payload_len + (uint64_t)msg->fin;
}
