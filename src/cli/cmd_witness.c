/*
 * cmd_witness.c: `cmcc witness`, for a mediator who runs a witness.
 *
 *   cmcc witness init WDIR --name NAME   a new witness: its key (witness.pem),
 *                                        its name, its verifier key (printed,
 *                                        and in witness.vkey), its store
 *   cmcc witness add-log WDIR --vkey KEY witness the log with this note
 *                                        verifier key (origin+hash+base64)
 *   cmcc witness list WDIR               the logs witnessed, and their sizes
 *   cmcc witness serve WDIR [--listen HOST:PORT]
 *
 * A log's operator then lists the witness in the log's cmcc.conf
 * (witness = URL VKEY) and its checkpoints carry the witness's cosignature.
 */
#include "cli/cli.h"

#include "common/mem.h"
#include "witness/witness.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: cmcc witness init WDIR --name NAME\n"
    "       cmcc witness add-log WDIR --vkey LOG-VKEY\n"
    "       cmcc witness list WDIR\n"
    "       cmcc witness serve WDIR [--listen HOST:PORT]   (default 127.0.0.1:8090)\n\n"
    "A witness cosigns a log's checkpoints (C2SP tlog-witness, POST /add-checkpoint)\n"
    "only when each extends the last one it cosigned, so that no log can show two\n"
    "histories. init prints the witness's verifier key: give it to the log's operator\n"
    "(witness = URL VKEY in the log's cmcc.conf) and to auditors (tlog-verify -witness).\n";

static int write_new(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    int ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    return ok ? 0 : -1;
}

static int init(const char *dir, const char *name)
{
    if (!name || !*name || strchr(name, ' ') || strchr(name, '+') || strchr(name, '\n'))
        return cli_errorf("witness", "--name must be one word without '+', e.g. "
                                     "witness.mediators.example"),
               2;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cli_errorf("witness", "cannot make %s: %s", dir, strerror(errno)), 1;
    /* a key whose verifier string has no '+' in its base64: some verifiers
     * (Go's tlog-verify among them) split the string on every
     * '+', not just the first two; any key is as good as another */
    log_key k = {0};
    char pem[LOG_PEM_MAX];
    note_verifier v;
    cm_buf vk = CM_BUF_INIT;
    for (int tries = 0;; tries++) {
        log_key_free(&k);
        if (log_key_generate(&k)) return cli_errorf("witness", "cannot make a key"), 1;
        note_verifier_from_key(&k, name, NOTE_KEY_COSIGNATURE, &v);
        buf_reset(&vk);
        note_verifier_format(&v, &vk);
        const char *b64 = strchr(strchr(vk.data, '+') + 1, '+') + 1; /* name+hash+b64 */
        if (!strchr(b64, '+') || tries == 1000) break;
    }
    log_key_to_pem(&k, pem);
    buf_putc(&vk, '\n');
    char *p1 = xasprintf("%s/witness.pem", dir), *p2 = xasprintf("%s/witness.name", dir);
    char *p3 = xasprintf("%s/witness.vkey", dir), *p4 = xasprintf("%s/witness.db", dir);
    char *namel = xasprintf("%s\n", name);
    cm_error err;
    int rc = write_new(p1, pem, 0600) || write_new(p2, namel, 0644) || write_new(p3, vk.data, 0644)
                 ? (cli_errorf("witness", "cannot write the witness's files in %s", dir), 1)
             : store_witness_create(p4, &err) ? (cli_error("witness", &err), 1)
                                              : 0;
    sodium_memzero(pem, sizeof pem);
    log_key_free(&k);
    if (!rc) printf("%s", vk.data);
    buf_free(&vk);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
    free(namel);
    return rc;
}

/* One log witnessed, as `list` prints it: {"origin","vkey","size"}. */
static int list_one(void *ctx, const char *origin, const char *vkey, uint64_t size)
{
    json_array_append_new(
        ctx, json_pack("{s:s,s:s,s:I}", "origin", origin, "vkey", vkey, "size", (json_int_t)size));
    return 0;
}

int cmd_witness(int argc, char **argv)
{
    if (argc < 3)
        return cli_wants_help(argc, argv) ? (fputs(help, stdout), 0) : (fputs(help, stderr), 2);
    const char *verb = argv[1], *name = NULL, *vkey = NULL, *listen = "127.0.0.1:8090";
    const cli_option opts[] = {CLI_ARG("name", &name), CLI_ARG("vkey", &vkey),
                               CLI_ARG("listen", &listen), CLI_OPTIONS_END};
    /* the verb stands where a command's name would: WDIR is the one operand */
    int status = cli_options(argc - 1, argv + 1, opts, help);
    if (status >= 0) return status;
    if (optind != argc - 2) return fputs(help, stderr), 2;
    const char *dir = argv[1 + optind];
    enum { INIT, ADD_LOG, LIST, SERVE, VERBS };
    static const char *const verbs[VERBS] = {"init", "add-log", "list", "serve"};
    int k = 0;
    while (k < VERBS && strcmp(verbs[k], verb) != 0) k++;
    if (k == VERBS) return fputs(help, stderr), 2;
    if (k == INIT) return init(dir, name);
    cm_error err;
    if (k == SERVE) {
        char host[256];
        unsigned port;
        if (cli_parse_listen(listen, host, sizeof host, &port)) return fputs(help, stderr), 2;
        if (witness_serve(dir, host, port, 0, &err)) return cli_error("witness", &err), 1;
        return 0;
    }
    char *db = xasprintf("%s/witness.db", dir);
    store *s = store_witness_open(db, &err);
    free(db);
    if (!s) return cli_error("witness", &err), 1;
    int rc = 0;
    if (k == ADD_LOG) {
        note_verifier v;
        if (!vkey || note_verifier_parse(vkey, &v, &err) || v.type != NOTE_KEY_ED25519) {
            cli_errorf("witness", "give the log's Ed25519 note verifier key with --vkey");
            rc = 2;
        } else if (store_witness_add_log(s, v.name, vkey, &err)) {
            cli_error("witness", &err);
            rc = 1;
        } else {
            fprintf(stderr, "cmcc witness: now witnessing %s\n", v.name);
        }
    } else { /* LIST */
        json_t *logs = json_array();
        if (store_witness_each(s, list_one, logs, &err) < 0) {
            cli_error("witness", &err);
            rc = 1;
        } else {
            char *text = json_dumps(logs, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
        }
        json_decref(logs);
    }
    store_close(s);
    return rc;
}
