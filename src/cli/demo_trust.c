/*
 * demo_trust.c: the parties beside the demo's log that let nobody trust
 * its operator alone: a witness (`cmcc witness`, in DIR/witness) and a
 * mirror (`cmcc mirror`, in DIR/mirror), each its own process on the next
 * ports of the demo's address (PORT+1, PORT+2). The log's cmcc.conf lists
 * both as cosigners, so each of its checkpoints carries their
 * cosignatures; the mirror catches up with the log whenever it is asked to
 * cosign (mirror_cosign.c) and serves its copy read-only, with a read token
 * of its own (DIR/mirror-token.txt, made once the mirror holds the log).
 *
 * The first run makes the witness's and the mirror's keys (their commands'
 * output goes to DIR/trust.log) and appends the two `witness =` lines to
 * DIR/cmcc.conf; later runs start the two servers again. They stop with
 * the log (Ctrl-C reaches the three; demo_trust_stop ends them otherwise).
 */
#include "cli/demo_trust.h"
#include "cli/cli.h"

#include "common/file.h"
#include "common/mem.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs this program with argv, its stdout to out (or DIR/trust.log), its
 * stderr to DIR/trust.log. wait: until it ends (its status), else its pid. */
static int spawn(const char *dir, const char *out, char *const argv[], int wait)
{
    char *logp = xasprintf("%s/trust.log", dir);
    fflush(stdout);
    fflush(stderr);
    pid_t p = fork();
    if (p == 0) {
        int log = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int o = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : log;
        if (log >= 0) dup2(log, 2);
        if (o >= 0) dup2(o, 1);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    free(logp);
    if (p < 0) return -1;
    if (!wait) return (int)p;
    int st = 0;
    while (waitpid(p, &st, 0) < 0) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Waits up to 5 s for 127.0.0.1-or-host:port to accept a connection, so
 * that the log's first checkpoint finds its cosigners up. */
static void await_port(const char *host, long port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 100; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0) close(fd);
        if (ok) return;
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
}

static char *line_of(const char *path)
{
    char *line = NULL;
    cm_error err;
    return cm_read_line_file(path, &line, &err) == 0 ? line : NULL;
}

int demo_trust_start(const char *dir, const char *listen, demo_trust *t)
{
    memset(t, 0, sizeof *t);
    const char *colon = strrchr(listen, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    if (!colon || port <= 0 || port > 65533) return -1; /* no fixed port: none beside it */
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    char *wdir = xasprintf("%s/witness", dir), *mdir = xasprintf("%s/mirror", dir);
    char *wpem = xasprintf("%s/witness.pem", wdir), *mvk = xasprintf("%s/mirror.vkey", mdir);
    char *logvk = xasprintf("%s/log.vkey", dir), *tokp = xasprintf("%s/demo-token.txt", dir);
    char *mtokp = xasprintf("%s/mirror-token.txt", dir);
    char *url = xasprintf("http://%s", listen);
    char *vkey = line_of(logvk), *token = line_of(tokp);
    snprintf(t->witness, sizeof t->witness, "http://%s:%ld", host, port + 1);
    snprintf(t->mirror, sizeof t->mirror, "http://%s:%ld", host, port + 2);
    char wl[300], ml[300];
    snprintf(wl, sizeof wl, "%s:%ld", host, port + 1);
    snprintf(ml, sizeof ml, "%s:%ld", host, port + 2);
    int rc = -1;
    if (!vkey) goto done;
    if (access(wpem, F_OK) != 0) {
        char *init[] = {"cmcc", "witness", "init", "--name=witness.demo.cmcc", wdir, NULL};
        char *add[] = {"cmcc", "witness", "add-log", wdir, "--vkey", vkey, NULL};
        if (spawn(dir, NULL, init, 1) != 0 || spawn(dir, NULL, add, 1) != 0) goto done;
    }
    if (access(mvk, F_OK) != 0) { /* the key is made; the log is not up yet */
        char *mk[] = {
            "cmcc",    "mirror",           url, mdir, "--vkey", vkey, "--name", "mirror.demo.cmcc",
            "--token", token ? token : "", NULL};
        spawn(dir, NULL, mk, 1);
        if (access(mvk, F_OK) != 0) goto done;
        char *wvkp = xasprintf("%s/witness.vkey", wdir), *confp = xasprintf("%s/cmcc.conf", dir);
        char *wvk = line_of(wvkp), *mv = line_of(mvk);
        FILE *f = wvk && mv ? fopen(confp, "a") : NULL;
        if (f) {
            fprintf(f,
                    "# the demo's witness and mirror (cmcc demo), which cosign each checkpoint\n"
                    "witness = %s %s\nwitness = %s %s\n",
                    t->witness, wvk, t->mirror, mv);
            fclose(f);
        }
        free(wvkp);
        free(confp);
        free(wvk);
        free(mv);
        if (!f) goto done;
    }
    char *ws[] = {"cmcc", "witness", "serve", wdir, "--listen", wl, NULL};
    char *ms[] = {"cmcc", "serve", mdir, "--mirror", "--listen", ml, "--quiet", NULL};
    t->pids[0] = spawn(dir, "/dev/null", ws, 0);
    t->pids[1] = spawn(dir, "/dev/null", ms, 0);
    await_port(host, port + 1);
    await_port(host, port + 2);
    if (access(mtokp, F_OK) != 0) { /* once the mirror holds the log and its orgs */
        fflush(stdout);
        pid_t p = fork();
        if (p == 0) {
            /* written aside and renamed: a reader sees the whole token or none */
            char *tk[] = {"cmcc", "token", "create", mdir, "--org", DEMO_TRUST_ORG, NULL};
            char *tmp = xasprintf("%s.tmp", mtokp);
            int made = 0;
            for (int i = 0; i < 120 && !(made = spawn(dir, tmp, tk, 1) == 0); i++) sleep(1);
            if (made && rename(tmp, mtokp) != 0) made = 0;
            if (!made) unlink(tmp);
            _exit(made ? 0 : 1);
        }
        t->pids[2] = (int)p;
    }
    rc = 0;
done:
    free(wdir);
    free(mdir);
    free(wpem);
    free(mvk);
    free(logvk);
    free(tokp);
    free(mtokp);
    free(url);
    free(vkey);
    free(token);
    return rc;
}

void demo_trust_stop(demo_trust *t)
{
    for (int i = 0; i < 3; i++) {
        if (t->pids[i] <= 0) continue;
        kill(t->pids[i], SIGTERM);
        while (waitpid(t->pids[i], NULL, 0) < 0) {
        }
        t->pids[i] = 0;
    }
}
