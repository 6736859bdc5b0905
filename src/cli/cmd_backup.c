/*
 * cmd_backup.c: `cmcc backup DIR FILE`: a consistent copy of the log's
 * store, taken while the server runs (store_backup). The copy holds every
 * entry, tree node, checkpoint, token hash and projection; the log's
 * signing key (DIR/log.pem) is not in it and is kept apart. To restore: a
 * new directory with FILE as cmcc.db and the log's log.pem and log.vkey;
 * `cmcc verify` checks it.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "engine/engine.h"

#include <stdlib.h>

static const char help[] =
    "usage: cmcc backup DIR FILE\n\n"
    "Writes a consistent copy of the log in DIR to the new file FILE, while the server\n"
    "may keep serving and writing. To restore, make a directory holding FILE as\n"
    "cmcc.db and the log's log.pem and log.vkey, and check it with `cmcc verify`.\n";

int cmd_backup(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), 0;
    if (argc != 3) return fputs(help, stderr), 2;
    char *db = srv_store_location(argv[1]);
    uint64_t size = 0;
    cm_error err;
    int rc = store_backup(db, argv[2], &size, &err);
    free(db);
    if (rc) return cli_error("backup", &err), 1;
    printf("cmcc backup: %s holds the log's %llu %s\n", argv[2], (unsigned long long)size,
           size == 1 ? "entry" : "entries");
    return 0;
}
