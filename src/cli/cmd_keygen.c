/*
 * cmd_keygen.c: `cmcc keygen FILE` writes a new Ed25519 key as PKCS#8 PEM
 * (mode 0600, the format of `openssl genpkey -algorithm ed25519`);
 * `cmcc keygen --show FILE` reads one. Both print the public key (base64)
 * and its keyid:
 *   public_key <base64>
 *   keyid <16 hex>
 */
#include "cli/cli.h"

#include "log/log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

static const char help[] = "usage: cmcc keygen FILE          write a new key to FILE\n"
                           "       cmcc keygen --show FILE   print the public key of a key file\n\n"
                           "Keys are Ed25519 in PKCS#8 PEM, as `openssl genpkey -algorithm "
                           "ed25519` writes\nthem; any such key works with every cmcc command. "
                           "Prints:\n  public_key <base64>\n  keyid <16 hex digits>\n";

static void show(const log_key *k)
{
    char b64[64], id[LOG_KEYID_LEN + 1];
    sodium_bin2base64(b64, sizeof b64, k->pub, LOG_PUBKEY_SIZE, sodium_base64_VARIANT_ORIGINAL);
    log_keyid(k->pub, id);
    printf("public_key %s\nkeyid %s\n", b64, id);
}

int cmd_keygen(int argc, char **argv)
{
    int showing = 0;
    const cli_option opts[] = {CLI_FLAG("show", &showing, 1), CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    if (optind != argc - 1) return fputs(help, stderr), 2;
    const char *path = argv[optind];
    log_key k = {0};
    cm_error err;
    if (showing) {
        if (log_key_load(path, &k, &err)) return cli_error("keygen", &err), 1;
        show(&k);
        log_key_free(&k);
        return 0;
    }
    if (log_key_generate(&k)) return cli_errorf("keygen", "cannot generate a key"), 1;
    char pem[LOG_PEM_MAX];
    log_key_to_pem(&k, pem);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem) && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0) close(fd);
    sodium_memzero(pem, sizeof pem);
    if (!ok) {
        log_key_free(&k);
        cli_errorf("keygen", "cannot write %s: %s", path, strerror(e));
        return 1;
    }
    show(&k);
    log_key_free(&k);
    return 0;
}
