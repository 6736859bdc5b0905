/*
 * cmd_cot.c: `cmcc cot URL --to tcp://HOST:PORT | udp://HOST:PORT`, which
 * follows a log and pushes its deconfliction picture as Cursor on Target
 * to a TAK Server's input or the SA multicast group (cot_link.c).
 *
 * The picture is the server's GET /v1/cot, one event a line, each with its
 * uid. Every --every (2 s) the command asks the log's size (GET /v1/log,
 * public); when it grew, it reads /v1/cot again and sends each event whose
 * line differs from the one last sent under its uid (a new thing, a
 * changed one, a deletion). What was sent is remembered by uid for the
 * link it went over: when a link is (re)opened, the whole current picture
 * is sent first, so a dropped connection, a TAK Server restarted or this
 * command restarted loses nothing (a TAK client replaces an event by its
 * uid, so what is sent twice shows once). A TCP link is checked before
 * each round: a peer that closed or reset it is seen there, even when an
 * event was written into it after it went, and the next link starts with
 * the whole picture again. A link that cannot be opened is tried again
 * after 1 s, then 2, 4, ... up to 60 s; a server that cannot be read, at
 * the next round. Each change of the link's state is said on stderr.
 *
 * With --once: one round, the whole picture, then exit: 0 sent, 1 the
 * link or the server failed (said why), 2 bad usage.
 */
#include "cli/cli.h"
#include "cli/cot_link.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
    "usage: cmcc cot URL --to tcp://HOST:PORT | udp://HOST:PORT [--token T] [--cacert FILE]\n"
    "                    [--every DURATION] [--once]\n\n"
    "Pushes the deconfliction picture of the log served at URL as Cursor on Target (the\n"
    "server's GET /v1/cot: notified sites, declared zones, movements, and deletions of\n"
    "withdrawn, lifted and cancelled ones) to a TAK Server's TCP input or to a UDP address\n"
    "such as the SA multicast group, then follows the log and sends each change as it is\n"
    "logged. When the link drops it is opened again (after 1 s, 2 s, ... up to 60 s) and the\n"
    "whole current picture is sent again, so nothing is lost; TAK clients replace an event\n"
    "by its uid.\n\n"
    "  --to tcp://HOST:PORT   a TAK Server's streaming input, e.g. tcp://takserver:8087\n"
    "  --to udp://HOST:PORT   one event a datagram, e.g. udp://239.2.3.1:6969 (SA multicast)\n"
    "  --token T              read token for the server (default: $CMCC_TOKEN)\n"
    "  --cacert F             trust an https server whose certificate the PEM CA in F signed\n"
    "  --every D              how often to look for new entries: 500ms, 2s (default), 1m\n"
    "  --once                 send the current picture once and exit\n\n"
    "Exit status (with --once; otherwise it runs until stopped): 0 sent, 1 the link or the\n"
    "server failed, 2 bad usage.\n";

#define BACKOFF_MAX_MS 60000

/* "500ms", "2s", "2", "1m" into ms (10 ms to 1 h). */
static int period_ms(const char *s, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10), unit = 1000;
    if (end == s || v <= 0) return -1;
    if (strcmp(end, "ms") == 0)
        unit = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        unit = 1000;
    else if (strcmp(end, "m") == 0)
        unit = 60000;
    else
        return -1;
    if (v > 3600000 / unit || v * unit < 10) return -1;
    *out = v * unit;
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* The log's size from GET /v1/log; -1 (said why) when it cannot be read. */
static int log_size(cli_http *h, const char *url, long long *size)
{
    cm_buf body = CM_BUF_INIT;
    long status = 0;
    cm_error err;
    int rc = -1;
    if (cli_http_get(h, "/v1/log", &body, &status, &err))
        cli_errorf("cot", "cannot read the log's size: %s", err.message);
    else if (status != 200)
        cli_errorf("cot", "%s/v1/log answers HTTP %ld", url, status);
    else {
        json_t *j = json_loadb(body.data, body.len, 0, NULL);
        json_t *n = json_object_get(j, "size");
        if (json_is_integer(n)) {
            *size = json_integer_value(n);
            rc = 0;
        } else
            cli_errorf("cot", "%s/v1/log gives no size: is it a cmcc server?", url);
        json_decref(j);
    }
    buf_free(&body);
    return rc;
}

/* The uid="..." of an event line, into uid; 0, or -1 when it has none. */
static int uid_of(const char *line, size_t len, char *uid, size_t cap)
{
    const char *p = NULL;
    for (size_t i = 0; i + 5 <= len && !p; i++)
        if (memcmp(line + i, " uid=\"", 6) == 0) p = line + i + 6;
    if (!p) return -1;
    const char *q = memchr(p, '"', len - (size_t)(p - line));
    if (!q || (size_t)(q - p) >= cap) return -1;
    memcpy(uid, p, (size_t)(q - p));
    uid[q - p] = '\0';
    return 0;
}

typedef struct {
    cot_link link;
    json_t *sent; /* uid -> the line last sent over this link */
    unsigned pushed;
} pusher;

/* Sends each event of the document whose line is not the one last sent
 * under its uid. 0, or -1 when the link failed (said why). */
static int push_changes(pusher *p, const cm_buf *doc)
{
    const char *s = doc->data, *end = doc->data + doc->len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        char uid[1024];
        if (len > 7 && strncmp(s, "<event ", 7) == 0 && uid_of(s, len, uid, sizeof uid) == 0) {
            const char *last = json_string_value(json_object_get(p->sent, uid));
            if (!last || strlen(last) != len || memcmp(last, s, len) != 0) {
                cm_error err;
                if (cot_link_send(&p->link, s, len, &err)) {
                    cli_errorf("cot", "%s; opening it again", err.message);
                    return -1;
                }
                json_object_set_new(p->sent, uid, json_stringn(s, len));
                p->pushed++;
            }
        }
        s += len + 1;
    }
    return 0;
}

int cmd_cot(int argc, char **argv)
{
    const char *to = NULL, *token = getenv("CMCC_TOKEN"), *cacert = getenv("CMCC_CACERT");
    const char *every = NULL;
    int once = 0;
    const cli_option opts[] = {CLI_ARG("to", &to),         CLI_ARG("token", &token),
                               CLI_ARG("cacert", &cacert), CLI_ARG("every", &every),
                               CLI_FLAG("once", &once, 1), CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (optind != argc - 1) return fputs(help, stderr), 2;
    const char *url = argv[optind];
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return cli_errorf("cot", "%s is not an http:// or https:// URL of a cmcc server", url), 2;
    if (!to)
        return cli_errorf("cot", "say where to send the events: --to tcp://HOST:PORT (a TAK "
                                 "Server's input) or --to udp://239.2.3.1:6969 (SA multicast)"),
               2;
    long period = 2000;
    if (every && period_ms(every, &period))
        return cli_errorf("cot",
                          "--every must be a duration such as 500ms, 2s or 1m (10 ms to 1 h), "
                          "not \"%s\"",
                          every),
               2;
    pusher p = {.sent = json_object()};
    cm_error err;
    if (cot_link_parse(to, &p.link, &err)) {
        json_decref(p.sent);
        return cli_error("cot", &err), 2;
    }
    cli_http *h = cli_http_new(url, token, cacert);
    long long done_size = -1; /* the log's size whose picture the link has */
    long backoff = 1000;
    int rc = 0;
    for (;;) {
        int was_open = p.link.fd >= 0;
        if (!cot_link_alive(&p.link)) {
            if (was_open)
                cli_errorf("cot", "the link to %s was closed by its other end; opening it again",
                           to);
            json_object_clear(p.sent); /* a new link starts with the whole picture */
            done_size = -1;
            if (cot_link_open(&p.link, &err)) {
                if (once) {
                    cli_error("cot", &err);
                    rc = 1;
                    break;
                }
                cli_errorf("cot", "%s; trying again in %ld s", err.message, backoff / 1000);
                sleep_ms(backoff);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            backoff = 1000;
            fprintf(stderr, "cmcc cot: connected to %s\n", to);
        }
        long long size = -1;
        int read = log_size(h, url, &size) == 0;
        if (read && size != done_size) {
            cm_buf doc = CM_BUF_INIT;
            if (cli_http_get_ok(h, "cot", "/v1/cot", &doc) == 0) {
                unsigned before = p.pushed;
                if (push_changes(&p, &doc) == 0) {
                    done_size = size;
                    if (p.pushed != before)
                        fprintf(stderr, "cmcc cot: %u event%s sent to %s (log size %lld)\n",
                                p.pushed - before, p.pushed - before == 1 ? "" : "s", to, size);
                } else if (once)
                    rc = 1;
            } else if (once)
                rc = 1;
            buf_free(&doc);
        } else if (once && !read)
            rc = 1;
        if (once) break;
        sleep_ms(period);
    }
    cot_link_close(&p.link);
    cli_http_free(h);
    json_decref(p.sent);
    return rc;
}
