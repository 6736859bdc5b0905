/*
 * cot_link.h: where `cmcc cot` pushes CoT events (cot_link.c): a TAK
 * Server's TCP input (tcp://HOST:PORT, e.g. port 8087), the events one
 * after another on one connection, or a UDP address, usually the SA
 * multicast group (udp://239.2.3.1:6969), one event a datagram.
 */
#ifndef CMCC_CLI_COT_LINK_H
#define CMCC_CLI_COT_LINK_H

#include "common/error.h"

#include <stddef.h>

typedef struct {
    int udp;         /* 0 tcp, 1 udp */
    char host[256];  /* a name or an address, IPv6 in [] in the URL only */
    char port[8];    /* decimal, 1..65535 */
    const char *url; /* as given, for messages */
    int fd;          /* -1 while closed */
} cot_link;

/* Reads "tcp://HOST:PORT" or "udp://HOST:PORT" into l (closed). 0, or -1
 * with err (bad_request on field "--to", a sentence saying what is
 * wanted). */
int cot_link_parse(const char *url, cot_link *l, cm_error *err);
/* Resolves and connects (TCP: within 5 s). 0, or -1 with err
 * (unavailable: the host is unknown, refuses or does not answer). */
int cot_link_open(cot_link *l, cm_error *err);
/* Sends one event (TCP: all of it, with a newline; UDP: one datagram).
 * 0, or -1 with err when the link failed; the link is then closed. */
int cot_link_send(cot_link *l, const char *event, size_t len, cm_error *err);
/* TCP: whether the peer is still there (it has not closed or reset the
 * connection); a closed link is closed here. UDP: 1 while open. */
int cot_link_alive(cot_link *l);
void cot_link_close(cot_link *l);

#endif
