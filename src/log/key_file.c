/*
 * key_file.c: a signing key read from its PEM file (key.c's PKCS#8 form),
 * for the log, a witness, an org's signer and the tools alike. The file's
 * text holds the secret, so it is wiped before it is freed.
 */
#include "log/log.h"

#include "common/file.h"

#include <sodium.h>
#include <stdlib.h>

int log_key_load(const char *path, log_key *k, cm_error *err)
{
    char *pem = NULL;
    size_t len = 0;
    if (cm_read_file(path, &pem, &len, err)) return -1;
    int rc = log_key_from_pem(k, pem, len, err);
    sodium_memzero(pem, len);
    free(pem);
    if (rc) cm_error_prefix(err, "%s", path);
    return rc;
}
