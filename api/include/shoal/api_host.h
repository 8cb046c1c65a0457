/*
 * api_host.h — GET /api/v1/host: what shoald set up on the host for its uplink.
 *
 * Role: the HTTP side of shoal_ctl_host() (control.h, data from hostcfg.h): the body is the
 * report read back from the kernel (addresses, routes with rto_min, firewall rules with
 * counters, forwarding) plus the "drift" list (api/openapi.yaml, schema Host). The read runs
 * on the HTTP thread: it asks the kernel through its own netlink socket / firewall handle and
 * never touches data-plane state.
 *
 * Errors: 500 internal (out of memory). Ownership: *body is a new reference for the caller.
 */
#ifndef SHOAL_API_HOST_H
#define SHOAL_API_HOST_H

#include <jansson.h>

#include "shoal/api_request.h"

struct shoal_ctl;

/* Returns the HTTP status: 200 with *body set, or an error in *e (*body NULL). */
unsigned shoal_api_host_get(struct shoal_ctl *ctl, json_t **body, struct shoal_api_error *e);

#endif
