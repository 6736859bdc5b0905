/*
 * net.h: what a listening server needs before it starts: the socket address
 * it listens on and the signals that stop it. `cmcc serve` and
 * `cmcc witness serve` both use them.
 */
#ifndef CM_NET_H
#define CM_NET_H

#include "common/error.h"

#include <netinet/in.h>
#include <signal.h>

/* The IPv4 socket address host:port; -1 (err) when host is not an IPv4
 * address. */
int cm_listen_addr(const char *host, unsigned port, struct sockaddr_in *addr, cm_error *err);
/* Blocks SIGINT and SIGTERM in this thread and the threads it starts, and
 * fills sigs with them, for sigwait to take them. */
void cm_block_stop_signals(sigset_t *sigs);

#endif
