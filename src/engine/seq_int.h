/*
 * seq_int.h: what the sequencer (sequencer.c) and the writer's role
 * (writer_role.c) share: the sequencer's own state. Not part of the
 * engine's interface (engine.h).
 */
#ifndef CMCC_SEQ_INT_H
#define CMCC_SEQ_INT_H

#include "engine/engine.h"

#define SEQ_POLL_MS 250 /* a reader's tries of the lease */

typedef struct {
    engine *e;
    log_frontier f; /* f.size is the tree's size */
    int64_t last_received;
    ev_effects fx;
    cm_buf entry;
    int registry_changed; /* the batch changes an org's status or revokes a key */
} seq;

/* Loads the tree's frontier and the last entry's time from the store. */
int seq_load(seq *q, cm_error *err);
/* After a failed batch: 1 when the lease is still held; else the role is
 * set (0: the connection broke, ENGINE_FAILOVER; -1: another server took
 * the lease, ENGINE_DEPOSED) and said on stderr. */
int seq_lost_lease(seq *q);
/* A writer's beat, between batches and when idle: renews the lease (a
 * PostgreSQL store's time limit); one it can no longer renew is lost, as
 * with a failed batch (seq_lost_lease, then seq_failover). */
void seq_keep(seq *q);
/* A reader's turn: publishes the store as it is now, then tries the lease. */
void seq_standby(seq *q);
/* A writer whose connection broke: connects again and goes on only if the
 * tree it finds extends what it acknowledged. */
void seq_failover(seq *q);

#endif
