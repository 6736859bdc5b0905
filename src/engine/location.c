/*
 * location.c: where a log directory's store is.
 *
 * By default the store is the SQLite file DIR/cmcc.db. A line
 *   store = postgresql://...
 * in DIR/cmcc.conf puts it in a PostgreSQL database instead (a libpq
 * connection URL; written there by `cmcc init DIR --store URL`); the
 * directory keeps the log's keys and settings either way. Only that line
 * of cmcc.conf is read here; the server reads (and checks) the rest.
 */
#include "engine/engine.h"

#include "common/mem.h"

#include <stdio.h>
#include <string.h>

/* The value of the `store` line of the file at conf, or NULL. */
static char *store_line(const char *conf)
{
    FILE *f = fopen(conf, "r");
    if (!f) return NULL;
    char line[1024], *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (strncmp(s, "store", 5) != 0) continue;
        s += 5;
        while (*s == ' ' || *s == '\t') s++;
        if (*s++ != '=') continue;
        while (*s == ' ' || *s == '\t') s++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n) found = xstrndup(s, n);
    }
    fclose(f);
    return found;
}

char *srv_store_location(const char *dir)
{
    char *conf = xasprintf("%s/cmcc.conf", dir);
    char *loc = store_line(conf);
    free(conf);
    return loc ? loc : xasprintf("%s/%s", dir, SRV_DB_FILE);
}

int srv_store_set_location(const char *dir, const char *location, cm_error *err)
{
    if (!store_is_url(location))
        return cm_fail(err, CM_BAD_REQUEST, "store",
                       "--store must be a PostgreSQL URL (postgresql://...); without it the "
                       "store is the file DIR/%s",
                       SRV_DB_FILE);
    char *conf = xasprintf("%s/cmcc.conf", dir);
    char *held = store_line(conf);
    int rc = 0;
    if (held && strcmp(held, location) != 0) {
        rc = cm_fail(err, CM_CONFLICT, "store", "%s already names another store: %s", conf, held);
    } else if (!held) {
        FILE *f = fopen(conf, "a");
        if (!f || fprintf(f, "store = %s\n", location) < 0)
            rc = cm_fail(err, CM_INTERNAL, "", "cannot write %s", conf);
        if (f && fclose(f) != 0 && !rc) rc = cm_fail(err, CM_INTERNAL, "", "cannot write %s", conf);
    }
    free(held);
    free(conf);
    return rc;
}
