/*
 * cmd_init.c: `cmcc init DIR --origin ORIGIN --org ORG --name NAME
 * [--coordinator-key PEM] [--log-key PEM]` (docs/protocol.md section 6),
 * or `cmcc init --from-mirror MIRROR-DIR DIR --log-key PEM`: a new primary
 * from a mirror (init_mirror.c).
 * Prints the log's note verifier key on stdout; everything else on stderr.
 */
#include "cli/cli.h"
#include "cli/mirror.h"

#include "engine/engine.h"

#include <getopt.h>
#include <stdlib.h>

static const char help[] =
    "usage: cmcc init DIR --origin ORIGIN --org ORG --name NAME\n"
    "                 [--coordinator-key PEM] [--log-key PEM]\n"
    "       cmcc init --from-mirror MIRROR-DIR DIR --log-key PEM\n\n"
    "Makes a new log in DIR: the store, the log's signing key (DIR/log.pem, generated\n"
    "unless --log-key gives one), and entry 0, the org.admit of the coordinating\n"
    "organization ORG, signed with the coordinator's key (generated into\n"
    "DIR/coordinator.pem unless --coordinator-key gives one). Prints the log's note\n"
    "verifier key, also written to DIR/log.vkey; give it to mirrors and auditors.\n\n"
    "  --origin ORIGIN        the log's name in its checkpoints, e.g. cmcc.example.org/log\n"
    "  --org ORG              the coordinator organization's identifier\n"
    "  --name NAME            its full name\n"
    "  --coordinator-key PEM  an Ed25519 PKCS#8 PEM key for the coordinator\n"
    "  --log-key PEM          an Ed25519 PKCS#8 PEM key to sign checkpoints with\n"
    "  --from-mirror M        make DIR a new primary from the mirror in M (kept by\n"
    "                         `cmcc mirror`): every entry it holds, the same log; --log-key\n"
    "                         must be the log's own key (checked against M/log.vkey)\n";

int cmd_init(int argc, char **argv)
{
    const char *origin = NULL, *org = NULL, *name = NULL, *ckey = NULL, *lkey = NULL;
    const char *from = NULL;
    const cli_option opts[] = {CLI_ARG("origin", &origin),
                               CLI_ARG("org", &org),
                               CLI_ARG("name", &name),
                               CLI_ARG("coordinator-key", &ckey),
                               CLI_ARG("log-key", &lkey),
                               CLI_ARG("from-mirror", &from),
                               CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (from) {
        if (optind != argc - 1 || origin || org || name || ckey) return fputs(help, stderr), 2;
        return init_from_mirror(from, argv[optind], lkey);
    }
    if (optind != argc - 1 || !origin || !org || !name) return fputs(help, stderr), 2;
    const char *dir = argv[optind];
    char *vkey = NULL;
    cm_error err;
    if (srv_init_log(dir, origin, org, name, ckey, lkey, &vkey, &err)) {
        cli_error("init", &err);
        return 1;
    }
    printf("%s\n", vkey);
    fprintf(stderr,
            "cmcc init: made the log %s in %s, entry 0 admits \"%s\"%s.\n"
            "next: cmcc token create %s --org %s; cmcc serve %s\n",
            origin, dir, org, ckey ? "" : " (its key is in coordinator.pem)", dir, org, dir);
    free(vkey);
    return 0;
}
