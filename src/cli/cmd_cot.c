/*
 * cmd_cot.c: `cmcc cot URL --to tcp://HOST:PORT | udp://HOST:PORT`, which
 * follows a log and pushes its deconfliction picture as Cursor on Target
 * to a TAK Server's input or the SA multicast group (cot_link.c).
 *
 * The picture is the server's GET /v1/cot, one event a line, each with its
 * uid. The command follows the log's live feed (GET /v1/feed,
 * feed_client.c): when an entry comes whose type can change the picture
 * (a site, a zone, a movement or an answer to it, an org admitted,
 * suspended or reinstated: a movement waits for every military party), it
 * reads /v1/cot again, once for a burst (the read waits until no such
 * entry came for 100 ms, or 1 s after the first), and sends each event
 * whose line differs from the one last sent under its uid (a new thing, a
 * changed one, a deletion). A feed that drops is started again after 1 s,
 * 2 s, ... up to 60 s, with Last-Event-ID the last entry it gave, so what
 * was logged meanwhile comes then; a stream started afresh is followed by
 * a read of the whole picture. Where the feed is refused (no token with
 * read rights, an older server answering 404, a server without a feed
 * answering unavailable), the command says so once and asks the log's
 * size (GET /v1/log, public) every --every (2 s) instead, reading /v1/cot
 * when it grew; it asks for the feed again every 10 minutes.
 *
 * What was sent is remembered by uid for the link it went over: when a
 * link is (re)opened, the whole current picture is sent first, so a
 * dropped connection, a TAK Server restarted or this command restarted
 * loses nothing (a TAK client replaces an event by its uid, so what is
 * sent twice shows once). A TCP link is checked every second (polling:
 * every round) and before each read: a peer that closed or reset it is seen there, even when an
 * event was written into it after it went, and the next link starts with
 * the whole picture again. A link that cannot be opened is tried again
 * after 1 s, then 2, 4, ... up to 60 s; a server that cannot be read,
 * alike (polling: at the next round). Each change of the link's or the
 * feed's state is said on stderr.
 *
 * With --once: the log's size and the whole picture, then exit: 0 sent, 1
 * the link or the server failed (said why), 2 bad usage.
 */
#include "cli/cli.h"
#include "cli/cot_link.h"
#include "cli/feed_client.h"

#include "common/timeutil.h"

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
    "such as the SA multicast group, then follows the log's live feed (GET /v1/feed) and\n"
    "sends each change as it is logged. When the link drops it is opened again (after 1 s,\n"
    "2 s, ... up to 60 s) and the whole current picture is sent again, so nothing is lost;\n"
    "TAK clients replace an event by its uid. A server that refuses the feed (an older one,\n"
    "or a token without read rights) is asked for its log's size every --every instead.\n\n"
    "  --to tcp://HOST:PORT   a TAK Server's streaming input, e.g. tcp://takserver:8087\n"
    "  --to udp://HOST:PORT   one event a datagram, e.g. udp://239.2.3.1:6969 (SA multicast)\n"
    "  --token T              read token for the server (default: $CMCC_TOKEN)\n"
    "  --cacert F             trust an https server whose certificate the PEM CA in F signed\n"
    "  --every D              without the feed, how often to look for new entries: 500ms,\n"
    "                         2s (default), 1m\n"
    "  --once                 send the current picture once and exit\n\n"
    "Exit status (with --once; otherwise it runs until stopped): 0 sent, 1 the link or the\n"
    "server failed, 2 bad usage.\n";

#define BACKOFF_MAX_MS 60000
#define LOOK_MS        1000   /* the link is checked at least this often */
#define QUIET_MS       100    /* a burst of entries ends after this long without one */
#define BURST_MS       1000   /* ... or this long after its first */
#define FEED_AGAIN_MS  600000 /* a refused feed is asked again after this long */

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

typedef struct {
    pusher p;
    cli_http *h;
    cli_feed *feed;
    const char *url, *to, *every;
    long period;       /* --every, while polling */
    int polling;       /* the feed was refused: the log's size every period */
    int said_polling;  /* ... and that was said */
    int followed;      /* the feed was open once */
    int64_t feed_at;   /* when to start the feed (again), monotonic ms */
    long feed_backoff; /* the wait before that after a drop */
    long long size;    /* polling: the log's size the picture was read at */
    long long seen;    /* polling: the size last read */
    int stale;         /* the picture may differ from what was last read */
    unsigned changes;  /* entries that can change the picture, in this wait */
} follower;

/* Whether an entry of this type can change the picture: a site, zone or
 * movement itself, a military party's answer, or the registry's changes
 * of which military parties there are (a movement waits for each). */
static int changes_picture(const char *type)
{
    static const char *const prefixes[] = {"site.", "zone.", "movement.", "org.", NULL};
    for (size_t i = 0; prefixes[i]; i++)
        if (strncmp(type, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

/* An event of the feed: {"index","type","org","id"}. One whose type
 * cannot be read counts as a change. */
static void on_entry(void *ctx, const char *id, const char *data, size_t len)
{
    follower *fw = ctx;
    (void)id;
    json_t *j = json_loadb(data, len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type || changes_picture(type)) fw->changes++;
    json_decref(j);
}

/* The feed is open: said, and polling stops. A stream that did not resume
 * after an event received starts at the entries to come: the picture is
 * read again, after its start, so nothing between is missed. */
static void feed_opened(follower *fw)
{
    const char *last = cli_feed_last_id(fw->feed);
    if (fw->polling)
        fprintf(stderr, "cmcc cot: following the live feed of %s again\n", fw->url);
    else if (fw->followed && last[0])
        fprintf(stderr, "cmcc cot: following the live feed of %s again, after entry %s\n", fw->url,
                last);
    else
        fprintf(stderr, "cmcc cot: following the live feed of %s\n", fw->url);
    if (!last[0]) fw->changes++;
    fw->polling = 0;
    fw->followed = 1;
    fw->feed_backoff = 1000;
}

/* The feed ended (err says why): started again after a drop, 1 s, 2 s, ...
 * up to 60 s later, from where it was; refused, the log's size is polled
 * instead (said once) and the feed asked again later, from its start. */
static void feed_ended(follower *fw, const cm_error *err)
{
    long status = cli_feed_refused(fw->feed);
    int64_t now = time_mono_ms();
    if (status == 400 && strcmp(err->field, "Last-Event-ID") == 0) {
        /* the server's log is not the one followed (restored, or another) */
        cli_errorf("cot", "%s; following it from its next entry and reading the whole picture",
                   err->message);
        cli_feed_forget(fw->feed);
        fw->feed_at = now;
        fw->changes++;
    } else if (status && !(status >= 500 && status != 503)) {
        if (!fw->said_polling)
            cli_errorf("cot", "%s; looking for new entries every %s instead (GET /v1/log)",
                       err->message, fw->every ? fw->every : "2s");
        if (!fw->polling) fw->stale = 1, fw->seen = fw->size = -1;
        fw->said_polling = fw->polling = 1;
        cli_feed_forget(fw->feed);
        fw->feed_at = now + FEED_AGAIN_MS;
    } else {
        if (!fw->polling)
            cli_errorf("cot", "%s; following it again in %ld s", err->message,
                       fw->feed_backoff / 1000);
        fw->feed_at = now + fw->feed_backoff;
        fw->feed_backoff =
            fw->feed_backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : fw->feed_backoff * 2;
    }
}

/* Waits ms, following the feed: returns sooner once entries that can
 * change the picture came and then none for QUIET_MS (or BURST_MS after
 * the first), so that a burst is read once. Polling, it then reads the
 * log's size. Sets fw->stale when the picture is to be read again. */
static void follow_wait(follower *fw, long ms)
{
    int64_t end = time_mono_ms() + ms, burst_end = 0;
    for (;;) {
        int64_t now = time_mono_ms();
        if (!cli_feed_running(fw->feed) && now >= fw->feed_at) cli_feed_start(fw->feed);
        int64_t until = burst_end && burst_end < end ? burst_end : end;
        if (now >= until) break;
        if (!cli_feed_running(fw->feed)) {
            int64_t wake = fw->feed_at < until ? fw->feed_at : until;
            sleep_ms((long)(wake - now));
            continue;
        }
        long t = (long)(until - now);
        if (burst_end && t > QUIET_MS) t = QUIET_MS;
        cm_error err;
        int n = cli_feed_pump(fw->feed, t, on_entry, fw, &err);
        if (cli_feed_opened(fw->feed)) feed_opened(fw);
        if (n < 0)
            feed_ended(fw, &err);
        else if (burst_end && n == 0)
            break; /* quiet after the burst */
        if (fw->changes && !burst_end) burst_end = now + BURST_MS;
    }
    if (fw->changes) fw->stale = 1;
    fw->changes = 0;
    if (fw->polling && log_size(fw->h, fw->url, &fw->seen) == 0 && fw->seen != fw->size)
        fw->stale = 1;
}

/* Reads the picture and sends what changed: 0, -1 the server could not be
 * read, -2 the link failed (each said). */
static int read_and_push(follower *fw, const char *since)
{
    cm_buf doc = CM_BUF_INIT;
    int rc = -1;
    if (cli_http_get_ok(fw->h, "cot", "/v1/cot", &doc) == 0) {
        unsigned before = fw->p.pushed;
        rc = push_changes(&fw->p, &doc) == 0 ? 0 : -2;
        unsigned n = fw->p.pushed - before;
        if (rc == 0 && n)
            fprintf(stderr, "cmcc cot: %u event%s sent to %s%s\n", n, n == 1 ? "" : "s", fw->to,
                    since);
    }
    buf_free(&doc);
    return rc;
}

/* --once: the whole picture, then the exit status. */
static int once(follower *fw)
{
    cm_error err;
    if (cot_link_open(&fw->p.link, &err)) return cli_error("cot", &err), 1;
    fprintf(stderr, "cmcc cot: connected to %s\n", fw->to);
    long long size = -1;
    if (log_size(fw->h, fw->url, &size)) return 1;
    char since[64];
    snprintf(since, sizeof since, " (log size %lld)", size);
    return read_and_push(fw, since) == 0 ? 0 : 1;
}

/* Runs until stopped: the link kept open, the picture read again when the
 * feed (or the log's size) says it may have changed. */
static void follow(follower *fw)
{
    long backoff = 1000, read_backoff = 1000;
    cm_error err;
    fw->stale = 1;
    for (;;) {
        int was_open = fw->p.link.fd >= 0;
        if (!cot_link_alive(&fw->p.link)) {
            if (was_open)
                cli_errorf("cot", "the link to %s was closed by its other end; opening it again",
                           fw->to);
            json_object_clear(fw->p.sent); /* a new link starts with the whole picture */
            fw->stale = 1;
            if (cot_link_open(&fw->p.link, &err)) {
                cli_errorf("cot", "%s; trying again in %ld s", err.message, backoff / 1000);
                follow_wait(fw, backoff);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            backoff = 1000;
            fprintf(stderr, "cmcc cot: connected to %s\n", fw->to);
        }
        if (fw->stale) {
            long long size = fw->seen;
            char since[64] = "";
            const char *last = cli_feed_last_id(fw->feed);
            if (fw->polling && size >= 0)
                snprintf(since, sizeof since, " (log size %lld)", size);
            else if (last[0])
                snprintf(since, sizeof since, " (entries to %s)", last);
            int r = read_and_push(fw, since);
            if (r == -2) continue; /* the link failed: opened again, the whole picture */
            if (r == -1) {
                long wait = fw->polling ? fw->period : read_backoff;
                read_backoff =
                    read_backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : read_backoff * 2;
                follow_wait(fw, wait);
                continue;
            }
            fw->stale = 0;
            fw->size = size;
            read_backoff = 1000;
        }
        follow_wait(fw, fw->polling ? fw->period : LOOK_MS);
    }
}

int cmd_cot(int argc, char **argv)
{
    const char *to = NULL, *token = getenv("CMCC_TOKEN"), *cacert = getenv("CMCC_CACERT");
    const char *every = NULL;
    int once_only = 0;
    const cli_option opts[] = {
        CLI_ARG("to", &to),       CLI_ARG("token", &token),        CLI_ARG("cacert", &cacert),
        CLI_ARG("every", &every), CLI_FLAG("once", &once_only, 1), CLI_OPTIONS_END};
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
    follower fw = {.p = {.sent = json_object()},
                   .url = url,
                   .to = to,
                   .every = every,
                   .period = period,
                   .feed_backoff = 1000,
                   .size = -1,
                   .seen = -1};
    cm_error err;
    if (cot_link_parse(to, &fw.p.link, &err)) {
        json_decref(fw.p.sent);
        return cli_error("cot", &err), 2;
    }
    fw.h = cli_http_new(url, token, cacert);
    int rc = 0;
    if (once_only)
        rc = once(&fw);
    else {
        fw.feed = cli_feed_new(url, token, cacert);
        follow(&fw); /* until stopped */
    }
    cot_link_close(&fw.p.link);
    cli_feed_free(fw.feed);
    cli_http_free(fw.h);
    json_decref(fw.p.sent);
    return rc;
}
