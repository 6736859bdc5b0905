/*
 * feed_client.h: a client of a server's live feed, GET /v1/feed
 * (docs/protocol.md, "The live feed"), for commands that follow a log
 * (cmd_cot.c) and must do other work between its events.
 *
 * The stream runs on a libcurl multi handle: cli_feed_pump waits for it
 * at most the time given and hands each whole Server-Sent Event to the
 * caller, so one thread can follow the feed and tend a link of its own.
 * The id of the last event received is kept, and a stream started again
 * sends it as Last-Event-ID: the server goes on after it, so a dropped
 * connection loses nothing and repeats nothing.
 */
#ifndef CMCC_CLI_FEED_CLIENT_H
#define CMCC_CLI_FEED_CLIENT_H

#include "common/error.h"

#include <stddef.h>

typedef struct cli_feed cli_feed;

/* One event: its id (the entry's index; "" when it had none) and data. */
typedef void (*cli_feed_fn)(void *ctx, const char *id, const char *data, size_t len);

/* A client of base's feed (http:// or https://), with a read token (may be
 * NULL) and, for https, the PEM CA file cacert (NULL: the system's). */
cli_feed *cli_feed_new(const char *base, const char *token, const char *cacert);
void cli_feed_free(cli_feed *f);

/* Starts the stream (stopping one that runs), after the last event
 * received when there was one. */
void cli_feed_start(cli_feed *f);
/* Whether a stream was started and has not ended. */
int cli_feed_running(const cli_feed *f);

/* Waits at most ms for the stream and gives each event that arrives to
 * fn(ctx). The number of events given (>= 0; it returns as soon as there
 * was one), or -1 when the stream ended: then err says why and
 * cli_feed_refused tells a refusal from a drop. A stream that has sent
 * nothing, not even a heartbeat, for 45 s is taken as dropped. */
int cli_feed_pump(cli_feed *f, long ms, cli_feed_fn fn, void *ctx, cm_error *err);
/* Once since the last call, whether the stream was opened (the server
 * answered 200 with an event stream): 1 once, then 0. */
int cli_feed_opened(cli_feed *f);
/* The HTTP status of an ended stream's answer when it was no event stream
 * (a refusal: 401, 404, 503, ...; err has the server's sentence and the
 * field it named), or 0 when the stream was cut (the network, the server
 * stopping). */
long cli_feed_refused(const cli_feed *f);
/* The id of the last event received ("" for none), and forgetting it: the
 * next stream starts from the entries to come. */
const char *cli_feed_last_id(const cli_feed *f);
void cli_feed_forget(cli_feed *f);

#endif
