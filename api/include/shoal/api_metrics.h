/*
 * api_metrics.h — GET /metrics: the Prometheus text exposition format (version 0.0.4).
 *
 * Role: renders, from control.h reads only (interfaces, plugins, shoal_ctl_metrics: the same
 * counters the JSON API shows), the core's series — interfaces, drops by module/reason/
 * interface, data-plane totals, per-stage runtime, routes as the plugins' route_limit says,
 * plugin hooks and counters, build info, process metrics — followed by the plugins' own
 * lines (their ABI 1.3 metrics hooks). Names follow Prometheus's conventions (snake case,
 * base units, _total on counters, HELP and TYPE once per family).
 *
 * Auth: the bearer token is required unless a loaded plugin made /metrics public
 * (plugin.h: metrics_options); the caller says whether the request carried a valid token.
 *
 * Ownership: *text is malloc'd (caller frees).
 */
#ifndef SHOAL_API_METRICS_H
#define SHOAL_API_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "shoal/api_request.h"
#include "shoal/control.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SHOAL_API_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* 0 with *text and *len set, or -1 with e set (401 unauthorized when the token is needed and
 * authorized is false; 503 or 500 from control). */
int shoal_api_metrics_text(struct shoal_ctl *ctl, bool authorized, char **text, size_t *len,
                           struct shoal_api_error *e);

#ifdef __cplusplus
}
#endif

#endif
