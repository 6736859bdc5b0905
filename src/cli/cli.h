/*
 * cli.h: the `cmcc` command. One file per subcommand (cmd_*.c), each a
 * function taking its own argc/argv (argv[0] is the subcommand's name) and
 * returning the process's exit status: 0 success, 1 a check failed or
 * something was refused, 2 bad usage or a fault.
 *
 * The tool prints and exits; the library code below it never does.
 */
#ifndef CMCC_CLI_H
#define CMCC_CLI_H

#include "common/buf.h"
#include "common/error.h"
#include "event/event.h"
#include "log/log.h"
#include "store/store.h"
#include "views/supply.h"

#include <stdint.h>
#include <stdio.h>

typedef struct cli_http cli_http; /* http.c */

int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_witness(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_proof(int argc, char **argv);
int cmd_mirror(int argc, char **argv);
int cmd_cot(int argc, char **argv);

/* ---- send.c: envelopes to a server, retrying safely -------------------- */

typedef struct {
    const char *where; /* the file it came from */
    unsigned line;     /* its line (or CSV row) there */
    char *text;        /* the envelope JSON (owned by the caller) */
    size_t len;
    int done; /* answered: a receipt or a refusal */
    /* its receipt, once answered with one */
    int accepted;
    uint64_t index;
    char *proof; /* the receipt's C2SP tlog-proof (malloc'ed), or NULL */
} cli_envelope;

typedef struct {
    unsigned appended, duplicates, refused;
    size_t undelivered;
    int fatal; /* the server answered something no retry mends (401, 404, ...) */
} cli_tally;

typedef struct {
    size_t batch;    /* envelopes per request, 1..1000 */
    long max_wait_s; /* give up after waiting this long in all */
    FILE *receipts;  /* when not NULL: one JSON line per answered envelope */
    const char *cmd; /* the subcommand, for messages */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *ctx;
} cli_send_opts;

/* Sends v[0..n) to POST /v1/events, batch by batch, retrying safely; sets
 * each envelope's done and counts the outcomes in *t. */
void cli_send(cli_http *h, cli_envelope *v, size_t n, const cli_send_opts *o, cli_tally *t);

/* ---- submit_proofs.c: a proof beside each envelope --------------------- */

/* Writes the C2SP tlog-proof of each accepted envelope beside its file
 * (FILE.proof, or FILE.<line>.proof for a file of several), fetching those
 * the receipts did not carry from GET /v1/proof/entry for at most wait_s
 * seconds; says on stderr how many it saved and which are missing. */
void cli_save_proofs(cli_http *h, cli_envelope *v, size_t n, long wait_s);

/* ---- manifest.c: CSV manifests into consignment.declare events ----------- */

typedef struct {
    char **json;   /* n events, each the exact bytes to sign */
    unsigned *row; /* the first row of each event's consignment */
    size_t n;
    size_t rows;         /* data rows read */
    size_t consignments; /* consignments seen */
    size_t skipped;      /* consignments left out for bad rows */
    unsigned bad_rows;
} cli_manifest;

/* Reads a manifest and builds the events of org, timed default_time_ms
 * unless a `date` column says otherwise. Each bad row is counted and, when
 * errs is not NULL, printed there with its number. -1 (with err) only when
 * the file as a whole cannot be read. Free out with cli_manifest_free. */
int cli_manifest_build(const char *data, size_t len, const char *org, int64_t default_time_ms,
                       FILE *errs, cli_manifest *out, cm_error *err);
void cli_manifest_free(cli_manifest *m);

/* ---- epcis_in.c: an EPCIS 2.0 document into cmcc events ----------------- */

/* Reads an EPCIS document (docs/protocol.md, "EPCIS 2.0") and builds org's
 * events, one per ObjectEvent, in out (row: the event's position in the
 * eventList, from 1; bad_rows: the events refused, each said in one
 * sentence on errs when it is not NULL). -1 (with err) only when the file
 * is no EPCIS document. Free out with cli_manifest_free. */
int cli_epcis_build(const char *data, size_t len, const char *org, FILE *errs, cli_manifest *out,
                    cm_error *err);

/* ---- report_source.c: where a report's figures come from ---------------- */

typedef struct {
    const char *dir;    /* a log directory, or */
    const char *server; /* a server's URL, read with token */
    const char *token;
    const char *cacert; /* the CA file for an https server, or NULL */
    const char *cmd;    /* the command its messages name (NULL: "report") */
} report_source;

/* Makes from a log's store s the document the server answers at the path
 * given to report_fetch. NULL with err on failure. */
typedef json_t *(*report_local)(store *s, const void *ctx, cm_error *err);

/* The document at path: the server's answer to GET path, parsed, or
 * local(s, ctx, ...) on the log directory's store. 0 with *doc (owned by
 * the caller; NULL when the server's answer is not JSON), or -1 after
 * saying why on stderr as `cmcc <src->cmd>`. */
int report_fetch(const report_source *src, const char *path, report_local local, const void *ctx,
                 json_t **doc);

/* ---- report_csv.c: the reports' CSV form (HXL long form) ---------------- */

#define REPORT_CSV_NUM 64
/* A CSV row of n cells (NULL: empty), quoted where needed, CRLF-ended. */
void report_csv_row(const char *const *cells, size_t n);
/* A figure's row: the key cells, the figure's code and its value (NULL:
 * empty). */
void report_csv_figure(const char *const *keys, size_t nkeys, const char *code, const char *value);
/* A figure's text, in buf: a whole number; a real number in the fewest
 * decimals that read back as v, no exponent. */
const char *report_csv_int(long long v, char buf[REPORT_CSV_NUM]);
const char *report_csv_real(double v, char buf[REPORT_CSV_NUM]);

/* ---- report_force.c: force and disarmament reports ----------------------- */

/* format: text, csv or json; color: ANSI highlights. Exit status. */
int report_force(const report_source *src, const char *format, int color);
int report_disarmament(const report_source *src, const char *format, int color);

/* ---- demo.c: the demo scenario ----------------------------------------- */

/* Makes a new log in dir holding the demo scenario and a read token for
 * the coordinator (dir/demo-token.txt). */
int demo_build(const char *dir, cm_error *err);

/* ---- event_json.c: the payload of an event the CLI makes ---------------- */

/* The payload {"v":1,"type",...,"body"} as the server stores it; takes
 * body's reference. */
char *cli_event_json(const char *type, const char *id, const char *org, const char *time,
                     json_t *body);
/* Checks a payload as the server will on receiving it: 0, or -1 with err
 * (bad_request, the field at fault, the sentence). */
int cli_event_check(const char *json, cm_error *err);

/* ---- util.c ------------------------------------------------------------- */

/* Prints "cmcc <cmd>: <message>" (and the field, if any) on stderr. */
void cli_error(const char *cmd, const cm_error *e);
void cli_errorf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

/* A subcommand's long option. A list of them ends with CLI_OPTIONS_END. */
typedef struct {
    const char *name; /* without the "--" */
    const char **arg; /* it takes an argument, kept here (the last one given wins); or */
    int *flag;        /* it takes none, and sets *flag to value */
    int value;
} cli_option;
/* clang-format off */
#define CLI_ARG(name, arg)          {(name), (arg), NULL, 0}
#define CLI_FLAG(name, flag, value) {(name), NULL, (flag), (value)}
#define CLI_OPTIONS_END             {NULL, NULL, NULL, 0}
/* clang-format on */

/* Reads argv's options with getopt_long (a long option may be abbreviated
 * while that is unambiguous; -h and --help need not be listed), leaving the
 * operands at argv[optind..]. -1: go on. Otherwise the exit status, help
 * having been printed: 0 for -h or --help (on stdout), 2 for a bad option
 * (on stderr, after getopt's own message). */
int cli_options(int argc, char **argv, const cli_option *opts, const char *help);

/* A new read token for org, added to s: "cmcc_" and 43 characters of URL-safe
 * base64 (32 random bytes); s keeps only its SHA-256. OUT: token (to show
 * once), id (to revoke it by). 0, or -1 with err. */
#define CLI_TOKEN_MAX STORE_TOKEN_MAX

int cli_token_add(store *s, const char *org, char token[CLI_TOKEN_MAX],
                  char id[STORE_TOKEN_ID_LEN + 1], cm_error *err);

/* An option's whole number: *out is dflt when s is NULL, else s, which
 * must be digits alone (a sign allowed) within [min, max]. 0 or -1. */
int cli_number(const char *s, long min, long max, long dflt, long *out);

/* Splits "HOST:PORT". 0 or -1. */
int cli_parse_listen(const char *s, char *host, size_t cap, unsigned *port);
/* Reads a whole file, or stdin for "-". */
int cli_read_input(const char *path, char **data, size_t *len, cm_error *err);

/* Input documents: a file holding one JSON object (any layout), or NDJSON
 * with one object a line. Calls fn for each with its 1-based line. */
typedef int (*cli_doc_fn)(void *ctx, const char *doc, size_t len, unsigned line);
int cli_each_doc(const char *data, size_t len, cli_doc_fn fn, void *ctx);

/* ---- http.c: a small libcurl client ------------------------------------- */

/* A client of the server at base (http:// or https://), sending token
 * (may be NULL); an https server's certificate is checked against the PEM
 * CA certificates in the file cacert, or the system's when it is NULL. */
cli_http *cli_http_new(const char *base, const char *token, const char *cacert);
void cli_http_free(cli_http *h);
/* Bytes of answer bodies h has received so far, over all its requests. */
uint64_t cli_http_received(const cli_http *h);
/* GET base+path. OUT: body, *status, *retry_after (seconds, 0 if none).
 * -1 with err when no answer came: unavailable for a network failure
 * (worth retrying), bad_request for a TLS certificate that does not verify
 * or a CA file that cannot be read (no retry mends it). */
int cli_http_get(cli_http *h, const char *path, cm_buf *body, long *status, cm_error *err);
int cli_http_post(cli_http *h, const char *path, const char *type, const char *data, size_t len,
                  cm_buf *body, long *status, long *retry_after, cm_error *err);
/* GET base+path, which must answer 200: 0 with its body, or -1 after
 * saying on stderr, as command cmd, what failed (the network, or the
 * status and the server's answer; a 401 adds that a token is needed). */
int cli_http_get_ok(cli_http *h, const char *cmd, const char *path, cm_buf *body);
/* The same, the body given to fn(ctx) piece by piece as it arrives instead
 * of kept (an answer of any size in constant memory); fn returns len to go
 * on, anything else to stop, which makes the call fail. */
int cli_http_get_each(cli_http *h, const char *cmd, const char *path,
                      size_t (*fn)(void *ctx, const char *data, size_t len), void *ctx);

/* ---- verify_list.c: a served list against a store's -------------------- */

/* Compares the list GET path answers ({"key":[...]}) with the list the
 * read model gives of store s (each: views_orgs_each, ...), one element at
 * a time. 0 the same; 1 they differ: report has lines naming the first
 * element that does (by its id_field) and its fields that differ (at most
 * max lines); -1 the comparison could not be made (the request's failure
 * said). */
int cli_compare_list(cli_http *h, const char *path, const char *key, store *s, views_each_fn each,
                     const char *id_field, size_t max, cm_buf *report);

/* ---- json_diff.c: two JSON values, field by field ----------------------- */

/* Appends one line per difference between a (the replay's) and t (the
 * server's), "<prefix><path>: the replay gives A; the server says B", the
 * paths from root (as movements[3].warnings[0]); past max lines only a
 * count. Returns how many differences there are. */
size_t cli_json_diff(const char *prefix, const char *root, const json_t *a, const json_t *t,
                     size_t max, cm_buf *out);

/* ---- verify_figures.c: every read endpoint against a replay ------------- */

typedef struct {
    unsigned endpoints; /* compared */
    unsigned differ;    /* of them, those whose answer is not the replay's */
    cm_buf report;      /* a line per difference: "ENDPOINT: FIELD: ... gives A; ... says B" */
    cm_buf names;       /* the endpoints compared, ", " between */
} cli_figures;

/* Compares every read endpoint's answer of the server h with the answer
 * the read model makes from store s holding the first `size` entries of
 * the log of origin, the time-dependent ones as of at_ms (whole seconds).
 * 0 when all were compared (f->differ says how many differ), -1 when a
 * request got no answer or the store could not be read (said on stderr). */
int cli_compare_figures(cli_http *h, const char *cmd, store *s, const char *origin, uint64_t size,
                        int64_t at_ms, cli_figures *f);
void cli_figures_free(cli_figures *f);

#endif
