/*
 * cmd_serve.c: `cmcc serve DIR [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [...]`:
 * the options into an srv_config, then srv_run (server/run.c).
 */
#include "cli/cli.h"
#include "cli/mirror.h"

#include "server/server.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: cmcc serve DIR [--listen HOST:PORT] [options]\n"
    "       cmcc serve --mirror DIR [--listen HOST:PORT] [options]\n\n"
    "Serves the log in DIR over HTTP, or HTTPS with a certificate, until SIGINT or\n"
    "SIGTERM (default 127.0.0.1:8080; port 0 picks a free port, printed on start).\n\n"
    "  --listen HOST:PORT   IPv4 address and port to listen on\n"
    "  --tls-cert FILE      serve HTTPS with this PEM certificate (then any intermediate\n"
    "                       CA certificates); needs --tls-key\n"
    "  --tls-key FILE       the certificate's PEM private key, unencrypted, mode 600\n"
    "                       (both may be set in DIR/cmcc.conf instead: tls.cert, tls.key)\n"
    "  --threads N          HTTP worker threads (default: 2 per core)\n"
    "  --max-connections N  open connections in all (default 1024)\n"
    "  --per-ip N           open connections per client address (default 64)\n"
    "  --head-timeout S     seconds of silence allowed before a request's head has\n"
    "                       arrived, and between requests (default 5)\n"
    "  --timeout S          seconds of silence allowed once a request's head has\n"
    "                       arrived: its body, its answer (default 30)\n"
    "  --max-queue N        events waiting to be written before answering 503 (20000)\n"
    "  --max-buffered MIB   MiB of request bodies held at once, in all, before answering\n"
    "                       503 (default 256); a batch body is at most that (and 16)\n"
    "  --rate N             events a second one client address may send (default: no\n"
    "                       limit); past it, 429 with Retry-After\n"
    "  --burst N            events a client may send at once (default: max(N, 1000))\n"
    "  --web DIR            the dashboard's files (default: the installed web/)\n"
    "  --lib DIR            the browser libraries served at /lib/NAME/ (default\n"
    "                       /usr/share/javascript, where Debian's packages put them)\n"
    "  --quiet              print nothing on start and stop\n"
    "  --mirror             DIR is a mirror kept by `cmcc mirror`: serve its copy read-only\n"
    "                       (reads as the log answers them, the checkpoint with the\n"
    "                       mirror's cosignature; every write refused); read tokens are\n"
    "                       the mirror's own: cmcc token create DIR --org ORG; it answers\n"
    "                       POST /add-checkpoint (list it in the log's cmcc.conf as\n"
    "                       `witness = URL MIRROR-VKEY`): it cosigns each checkpoint\n"
    "                       once it holds its entries\n";

/* A whole number from 1 to 1,000,000 for the option named opt; says so on
 * stderr when it is not. */
static int num(const char *opt, const char *s, unsigned *out)
{
    long v;
    if (cli_number(s, 1, 1000000, 0, &v)) {
        fprintf(stderr, "cmcc serve: --%s must be a whole number from 1 to 1000000, not \"%s\"\n",
                opt, s);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, 0, 'l'},
                                         {"threads", required_argument, 0, 't'},
                                         {"max-connections", required_argument, 0, 'c'},
                                         {"per-ip", required_argument, 0, 'p'},
                                         {"timeout", required_argument, 0, 'o'},
                                         {"head-timeout", required_argument, 0, 'H'},
                                         {"max-queue", required_argument, 0, 'q'},
                                         {"max-buffered", required_argument, 0, 'm'},
                                         {"rate", required_argument, 0, 'r'},
                                         {"burst", required_argument, 0, 'B'},
                                         {"web", required_argument, 0, 'w'},
                                         {"tls-cert", required_argument, 0, 'C'},
                                         {"tls-key", required_argument, 0, 'K'},
                                         {"lib", required_argument, 0, 'L'},
                                         {"quiet", no_argument, 0, 'Q'},
                                         {"mirror", no_argument, 0, 'M'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    srv_config cfg;
    srv_config_init(&cfg);
    cfg.web_dir = CMCC_WEB_DIR;
    char host[256];
    int c, li = 0, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &li)) != -1) {
        switch (c) {
        case 'l':
            if (cli_parse_listen(optarg, host, sizeof host, &cfg.port)) bad = 1;
            cfg.host = host;
            break;
        case 't':
            bad |= num(opts[li].name, optarg, &cfg.threads) != 0;
            break;
        case 'c':
            bad |= num(opts[li].name, optarg, &cfg.conn_limit) != 0;
            break;
        case 'p':
            bad |= num(opts[li].name, optarg, &cfg.per_ip_limit) != 0;
            break;
        case 'o':
            bad |= num(opts[li].name, optarg, &cfg.timeout_s) != 0;
            break;
        case 'H':
            bad |= num(opts[li].name, optarg, &cfg.head_timeout_s) != 0;
            break;
        case 'q':
            bad |= num(opts[li].name, optarg, &cfg.max_queue) != 0;
            break;
        case 'm': {
            unsigned mib = 0;
            bad |= num(opts[li].name, optarg, &mib) != 0;
            cfg.max_buffered = (size_t)mib << 20;
            break;
        }
        case 'r':
        case 'B': {
            unsigned v = 0;
            bad |= num(opts[li].name, optarg, &v) != 0;
            *(c == 'r' ? &cfg.rate : &cfg.burst) = v;
            break;
        }
        case 'w':
            cfg.web_dir = optarg;
            break;
        case 'C':
        case 'K': {
            char *to = c == 'C' ? cfg.tls_cert : cfg.tls_key;
            if (!*optarg || strlen(optarg) >= SRV_PATH_MAX)
                bad = 1;
            else
                snprintf(to, SRV_PATH_MAX, "%s", optarg);
            break;
        }
        case 'L':
            cfg.lib_dir = optarg;
            break;
        case 'Q':
            cfg.quiet = 1;
            break;
        case 'M':
            cfg.mirror = 1;
            cfg.mirror_cosign = mirror_add_checkpoint;
            break;
        case 'h': /* help after a bad value is no help */
            if (bad) break;
            fputs(help, stdout);
            return 0;
        default:
            fputs(help, stderr);
            return 2;
        }
    }
    if (bad || optind != argc - 1) {
        fputs(help, stderr);
        return 2;
    }
    if (!cfg.tls_cert[0] != !cfg.tls_key[0]) {
        fprintf(stderr, "cmcc serve: %s needs %s too: give both for HTTPS, or neither for HTTP\n",
                cfg.tls_cert[0] ? "--tls-cert" : "--tls-key",
                cfg.tls_cert[0] ? "--tls-key" : "--tls-cert");
        return 2;
    }
    cfg.dir = argv[optind];
    cm_error err;
    if (srv_run(&cfg, &err)) {
        cli_error("serve", &err);
        return 1;
    }
    return 0;
}
