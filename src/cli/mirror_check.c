/*
 * mirror_check.c: what `cmcc mirror` checks of its source once it has
 * caught up (cmd_mirror.c, after each run that ends up to date):
 *
 *   --compare     every read endpoint of the source against the answer the
 *                 read model makes of the mirror's own store
 *                 (verify_figures.c), when the source still serves the
 *                 size the mirror holds (/healthz before and after; else
 *                 the next run compares);
 *   --proofs DIR  every proof `cmcc submit` saved in DIR against the
 *                 source's current checkpoint and the mirror's tree
 *                 (dropped.c).
 * Each difference or dropped entry is said; the run then exits 1.
 */
#include "cli/mirror.h"

#include "common/timeutil.h"

#include <string.h>

static int compare(mirror *m)
{
    uint64_t s1, s2;
    if (lf_served_size(m->log.h, "mirror", &s1)) return 2;
    if (s1 != m->size) {
        printf("cmcc mirror: %s serves %llu entries, this mirror holds %llu: its read endpoints "
               "are compared when both hold one size\n",
               m->log.url, (unsigned long long)s1, (unsigned long long)m->size);
        return 0;
    }
    cli_figures fg;
    memset(&fg, 0, sizeof fg);
    int rc =
        cli_compare_figures(m->log.h, "mirror", m->w, m->log.nv.name, m->size, time_now_ms(), &fg);
    if (rc == 0 && lf_served_size(m->log.h, "mirror", &s2) == 0 && s2 != s1) {
        printf("cmcc mirror: %s grew while its read endpoints were compared: the next run "
               "compares them\n",
               m->log.url);
    } else if (rc == 0 && fg.differ) {
        printf("cmcc mirror: FAIL: %u of the %u read endpoints of %s answer otherwise than this "
               "mirror's replay:\n%s",
               fg.differ, fg.endpoints, m->log.url, fg.report.data);
        rc = 1;
    } else if (rc == 0) {
        printf("cmcc mirror: %u read endpoints of %s answer as this mirror's replay: %s\n",
               fg.endpoints, m->log.url, fg.names.data ? fg.names.data : "");
    } else {
        rc = 2;
    }
    cli_figures_free(&fg);
    return rc;
}

static int proofs(mirror *m, const char *dir)
{
    cm_buf note = CM_BUF_INIT;
    log_checkpoint c;
    lf_proofs t;
    int rc = lf_checkpoint(&m->log, &note, &c)
                 ? -1
                 : lf_check_proofs(&m->log, dir, note.data, &c, store_read_hash, m->w, m->size, &t);
    buf_free(&note);
    if (rc < 0) return 2;
    if (t.dropped)
        printf("cmcc mirror: FAIL: %u of the %u proofs in %s are of entries %s no longer holds: "
               "evidence against the log (PROOF.dropped.json beside each)\n",
               t.dropped, t.proofs, dir, m->log.url);
    else
        printf("cmcc mirror: %s holds the entry of each of the %u proof%s in %s\n", m->log.url,
               t.held, t.held == 1 ? "" : "s", dir);
    return rc;
}

int mirror_check(mirror *m, int compare_figures, const char *proofs_dir)
{
    int rc = 0, x;
    if (compare_figures && (x = compare(m)) > rc) rc = x;
    if (proofs_dir && (x = proofs(m, proofs_dir)) > rc) rc = x;
    fflush(stdout);
    return rc;
}
