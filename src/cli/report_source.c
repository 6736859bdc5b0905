/*
 * report_source.c: where `cmcc report` gets its figures. With --server it
 * is the server's answer to a GET (the token from --token or $CMCC_TOKEN);
 * with a log directory it is the same document made from the directory's
 * store, opened for reading (the server may be running). Each report then
 * reads one document, whichever way it came. `cmcc label` reads its
 * consignment the same way.
 */
#include "cli/cli.h"

#include "engine/engine.h"

int report_fetch(const report_source *src, const char *path, report_local local, const void *ctx,
                 json_t **doc)
{
    cm_error err;
    const char *cmd = src->cmd ? src->cmd : "report";
    *doc = NULL;
    if (src->server) {
        cli_http *h = cli_http_new(src->server, src->token, src->cacert);
        cm_buf b = CM_BUF_INIT;
        int rc = cli_http_get_ok(h, cmd, path, &b);
        if (rc == 0 && !(*doc = json_loadb(b.data, b.len, 0, NULL))) {
            cm_fail(&err, CM_INTERNAL, "", "%s answered GET %s with something that is not JSON",
                    src->server, path);
            cli_error(cmd, &err);
            rc = -1;
        }
        buf_free(&b);
        cli_http_free(h);
        return rc;
    }
    store *s = srv_open_store(src->dir, STORE_READER, &err);
    if (s) *doc = local(s, ctx, &err);
    store_close(s);
    if (!*doc) return cli_error(cmd, &err), -1;
    return 0;
}
