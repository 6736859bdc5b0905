/*
 * tls.c: the certificate and key `cmcc serve` speaks HTTPS with.
 *
 *   cmcc serve DIR --tls-cert FILE --tls-key FILE
 *   tls.cert = FILE  and  tls.key = FILE  in DIR/cmcc.conf
 *
 * Both files are PEM: the certificate first (the intermediate CA
 * certificates may follow it, as libmicrohttpd's GnuTLS sends the whole
 * chain), and an unencrypted private key (PKCS#8, or the traditional RSA or
 * EC forms). They are read into memory and checked here, before the server
 * takes its directory's lock, with OpenSSL's PEM readers (libcrypto is
 * already linked for SHA-256): the certificate parses, the key parses, and
 * the key is the certificate's. Each failure is one sentence naming the
 * file, so that a wrong path or a swapped pair never starts a server that
 * every client then refuses. Also warned about, without refusing: a key
 * file that the group or others may read, and a certificate out of its
 * validity period (phones refuse it).
 *
 * The key's bytes are wiped from memory when freed.
 */
#include "server/srv_int.h"

#include "common/file.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A passphrase is never asked for: an encrypted key fails to read. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static int read_pem(const char *what, const char *path, char **data, cm_error *err)
{
    size_t len = 0;
    cm_error e;
    if (cm_read_file(path, data, &len, &e))
        return cm_fail(err, CM_BAD_REQUEST, "", "the TLS %s cannot be read (%s)", what, e.message);
    if (strlen(*data) != len) { /* a NUL inside: DER, or not text at all */
        free(*data);
        *data = NULL;
        return cm_fail(err, CM_BAD_REQUEST, "", "the TLS %s %s is not PEM text (it is binary)",
                       what, path);
    }
    return 0;
}

static void warn_validity(const X509 *x, const char *path)
{
    const ASN1_TIME *before = X509_get0_notBefore(x), *after = X509_get0_notAfter(x);
    if (X509_cmp_current_time(after) < 0)
        fprintf(stderr,
                "cmcc serve: warning: the TLS certificate %s has expired: clients will refuse "
                "it until it is renewed\n",
                path);
    else if (X509_cmp_current_time(before) > 0)
        fprintf(stderr,
                "cmcc serve: warning: the TLS certificate %s is not valid yet: check this "
                "machine's clock\n",
                path);
}

static void warn_key_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        fprintf(stderr,
                "cmcc serve: warning: the TLS key %s may be read by its group or others "
                "(mode %03o): chmod 600 it\n",
                path, (unsigned)(st.st_mode & 0777));
}

/* Checks the PEM texts: the certificate, the key, and that they match. */
static int check(const srv_tls *t, const char *cert_path, const char *key_path, cm_error *err)
{
    int rc = -1;
    BIO *cb = BIO_new_mem_buf(t->cert, -1), *kb = BIO_new_mem_buf(t->key, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, no_passphrase, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
    if (!x)
        cm_fail(err, CM_BAD_REQUEST, "",
                "the TLS certificate %s is not a PEM certificate (a "
                "-----BEGIN CERTIFICATE----- block)",
                cert_path);
    else if (!k)
        cm_fail(err, CM_BAD_REQUEST, "",
                "the TLS key %s is not an unencrypted PEM private key (a -----BEGIN PRIVATE "
                "KEY----- block; an encrypted key must be decrypted first)",
                key_path);
    else if (X509_check_private_key(x, k) != 1)
        cm_fail(err, CM_BAD_REQUEST, "", "the TLS key %s is not the key of the certificate %s",
                key_path, cert_path);
    else {
        warn_validity(x, cert_path);
        rc = 0;
    }
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    return rc;
}

int srv_tls_load(const char *cert_path, const char *key_path, srv_tls *t, cm_error *err)
{
    memset(t, 0, sizeof *t);
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return cm_fail(err, CM_UNAVAILABLE, "",
                       "this libmicrohttpd was built without TLS, so cmcc cannot serve HTTPS "
                       "itself: serve HTTP on 127.0.0.1 behind a reverse proxy that does TLS "
                       "(docs/operations.md)");
    if (read_pem("certificate", cert_path, &t->cert, err)) return -1;
    if (read_pem("key", key_path, &t->key, err) || check(t, cert_path, key_path, err)) {
        srv_tls_free(t);
        return -1;
    }
    warn_key_mode(key_path);
    return 0;
}

void srv_tls_free(srv_tls *t)
{
    if (t->key) OPENSSL_cleanse(t->key, strlen(t->key));
    free(t->key);
    free(t->cert);
    memset(t, 0, sizeof *t);
}
