/*
 * net.c: a listening address parsed from host and port (IPv4 only, as the
 * servers listen), and the stop signals blocked so that the main thread can
 * sigwait for them while the server's own threads never see them.
 */
#include "common/net.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>

int cm_listen_addr(const char *host, unsigned port, struct sockaddr_in *addr, cm_error *err)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) == 1) return 0;
    return cm_fail(err, CM_BAD_REQUEST, "", "listen address %s is not an IPv4 address", host);
}

void cm_block_stop_signals(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
}
