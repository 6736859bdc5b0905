/*
 * demo_trust.h: the witness and the mirror that `cmcc demo` runs beside
 * its log (demo_trust.c).
 */
#ifndef CMCC_DEMO_TRUST_H
#define CMCC_DEMO_TRUST_H

#define DEMO_TRUST_ORG "cmcc-cell" /* the org of the mirror's read token */

typedef struct {
    char witness[300], mirror[300]; /* their URLs */
    int pids[3];                    /* their processes, and the one that makes the mirror's token */
} demo_trust;

/* Makes (on the first run) and starts the witness and the mirror of the
 * demo's log in dir, served at listen's host on its port + 1 and + 2.
 * 0, or -1 when they cannot be (the demo goes on without them). */
int demo_trust_start(const char *dir, const char *listen, demo_trust *t);
/* Stops them. */
void demo_trust_stop(demo_trust *t);

#endif
