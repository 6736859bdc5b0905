/*
 * cot_link.c: the link `cmcc cot` pushes CoT events over (cot_link.h).
 *
 * TCP: one connection, each event written whole and followed by a
 * newline, as a TAK Server's streaming input reads them; a connection that
 * does not open within 5 s counts as down, and a write that cannot go on
 * for 10 s too. What the peer sends is read and dropped, so that a closed
 * connection (the read gives 0) or a reset one is seen before the next
 * event is written to it: cot_link_alive. UDP: a connected datagram
 * socket (multicast TTL 1 unless the system says otherwise), one event a
 * datagram.
 */
#include "cli/cot_link.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define CONNECT_MS 5000
#define SEND_S     10

int cot_link_parse(const char *url, cot_link *l, cm_error *err)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->url = url;
    const char *rest;
    if (strncmp(url, "tcp://", 6) == 0)
        rest = url + 6;
    else if (strncmp(url, "udp://", 6) == 0)
        l->udp = 1, rest = url + 6;
    else
        goto bad;
    const char *colon;
    size_t hlen;
    if (*rest == '[') { /* [IPv6]:port */
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':') goto bad;
        hlen = (size_t)(close - rest - 1);
        colon = close + 1;
        rest++;
    } else {
        colon = strrchr(rest, ':');
        if (!colon) goto bad;
        hlen = (size_t)(colon - rest);
    }
    if (hlen == 0 || hlen >= sizeof l->host) goto bad;
    memcpy(l->host, rest, hlen);
    l->host[hlen] = '\0';
    if (strchr(l->host, '/')) goto bad;
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end || port < 1 || port > 65535) goto bad;
    snprintf(l->port, sizeof l->port, "%ld", port);
    return 0;
bad:
    return cm_fail(err, CM_BAD_REQUEST, "--to",
                   "--to must be tcp://HOST:PORT (a TAK Server's input, such as "
                   "tcp://takserver:8087) or udp://HOST:PORT (such as the SA multicast group "
                   "udp://239.2.3.1:6969), with a port from 1 to 65535, not \"%s\"",
                   url);
}

void cot_link_close(cot_link *l)
{
    if (l->fd >= 0) close(l->fd);
    l->fd = -1;
}

/* Connects fd to a within CONNECT_MS; 0, or an errno. */
static int connect_within(int fd, const struct addrinfo *a)
{
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
    int e = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) return errno;
        struct pollfd p = {fd, POLLOUT, 0};
        int n = poll(&p, 1, CONNECT_MS);
        if (n == 0) return ETIMEDOUT;
        if (n < 0) return errno;
        socklen_t len = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) return errno;
        if (e) return e;
    }
    if (fcntl(fd, F_SETFL, flags) < 0) return errno;
    struct timeval tv = {SEND_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 0;
}

int cot_link_open(cot_link *l, cm_error *err)
{
    cot_link_close(l);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = l->udp ? SOCK_DGRAM : SOCK_STREAM;
    int g = getaddrinfo(l->host, l->port, &hints, &res);
    if (g)
        return cm_fail(err, CM_UNAVAILABLE, "--to", "cannot find host \"%s\" of %s: %s", l->host,
                       l->url, gai_strerror(g));
    int e = 0;
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        e = l->udp ? (connect(fd, a->ai_addr, a->ai_addrlen) < 0 ? errno : 0)
                   : connect_within(fd, a);
        if (e == 0) {
            l->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (l->fd < 0)
        return cm_fail(err, CM_UNAVAILABLE, "--to", "cannot connect to %s: %s", l->url,
                       strerror(e ? e : EHOSTUNREACH));
    return 0;
}

int cot_link_alive(cot_link *l)
{
    if (l->fd < 0) return 0;
    if (l->udp) return 1;
    for (;;) {
        char sink[512];
        ssize_t n = recv(l->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0) continue; /* the peer's own messages: not ours to read */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        if (n < 0 && errno == EINTR) continue;
        cot_link_close(l); /* 0: closed by the peer; otherwise reset */
        return 0;
    }
}

int cot_link_send(cot_link *l, const char *event, size_t len, cm_error *err)
{
    if (l->fd < 0) return cm_fail(err, CM_UNAVAILABLE, "--to", "%s is not connected", l->url);
    if (l->udp) {
        if (send(l->fd, event, len, MSG_NOSIGNAL) == (ssize_t)len) return 0;
        int e = errno;
        cot_link_close(l);
        return cm_fail(err, CM_UNAVAILABLE, "--to", "cannot send to %s: %s", l->url, strerror(e));
    }
    struct {
        const char *p;
        size_t n;
    } parts[2] = {{event, len}, {"\n", 1}};
    for (int i = 0; i < 2; i++) {
        while (parts[i].n) {
            ssize_t n = send(l->fd, parts[i].p, parts[i].n, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                int e = n < 0 ? errno : EPIPE;
                cot_link_close(l);
                return cm_fail(err, CM_UNAVAILABLE, "--to", "the link to %s failed: %s", l->url,
                               e == EAGAIN || e == EWOULDBLOCK ? "nothing could be sent for 10 s"
                                                               : strerror(e));
            }
            parts[i].p += n;
            parts[i].n -= (size_t)n;
        }
    }
    return 0;
}
