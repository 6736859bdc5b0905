/*
 * fuzz_note.c: the log's signed text formats (log/note.c,
 * log/checkpoint.c, log/key.c): what `cmcc verify` and a witness read
 * from a server they do not trust.
 *
 * The same input is given to each reader:
 *   - note_open, against two fixed verifiers: the log key and the witness
 *     (cosignature/v1) key of $CMCC_SHARED_DIR/testvectors/tlog-1000/keys.txt,
 *     so that seeds signed by them reach the signature checks; when a
 *     note opens, its text is a checkpoint body for checkpoint_parse;
 *   - checkpoint_parse of the whole input; property: a parsed body
 *     formatted again (checkpoint_body) is the input's first three lines,
 *     byte for byte;
 *   - note_verifier_parse of the input cut at its first NUL; property: a
 *     parsed key formats back to the same string;
 *   - log_key_from_pem (PKCS#8 PEM of an Ed25519 key).
 *
 * Seeds (corpus/note/): the test vectors' checkpoints (log-only and
 * cosigned), altered signature lines, checkpoint bodies, verifier keys
 * and a PEM key from `cmcc keygen`.
 */
#include "fuzz.h"

#include "common/buf.h"
#include "common/mem.h"
#include "log/log.h"

#include <string.h>

static const char *const vkeys[] = {
    "example.org/test-log+6352ce1f+AVO3qg8tQ1fa0R0zfA2APhK2bQTRbd+bg+/BhYjz0qrd",
    "example.org/test-witness+b4d3e587+BDLEXABrMldgFYC5OkhSUb9OeNBgwNJ5NLN6ibQ6rMLj",
};
#define NV (sizeof vkeys / sizeof vkeys[0])

static void open_note(const char *text, size_t size)
{
    static note_verifier vs[NV];
    static int ready;
    if (!ready) {
        cm_error err;
        for (size_t i = 0; i < NV; i++)
            FUZZ_CHECK(note_verifier_parse(vkeys[i], &vs[i], &err) == 0);
        ready = 1;
    }
    note_opened o;
    cm_error err;
    if (note_open(text, size, vs, NV, &o, &err) != 0) return;
    FUZZ_CHECK(o.verified != 0 && (o.verified >> NV) == 0);
    FUZZ_CHECK(o.text_len > 0 && o.text_len < size && text[o.text_len - 1] == '\n');
    log_checkpoint c;
    (void)checkpoint_parse(text, o.text_len, &c, &err);
}

static void parse_checkpoint(const char *text, size_t size)
{
    log_checkpoint c;
    cm_error err;
    if (checkpoint_parse(text, size, &c, &err) != 0) return;
    cm_buf b = CM_BUF_INIT;
    checkpoint_body(&c, &b);
    FUZZ_CHECK(b.len <= size && memcmp(b.data, text, b.len) == 0);
    buf_free(&b);
}

static void parse_vkey(const char *text, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, text, size);
    s[size] = '\0';
    note_verifier v;
    cm_error err;
    if (note_verifier_parse(s, &v, &err) == 0) {
        /* the key hash may be written in either case; it formats in lowercase */
        char *hex = strchr(s, '+') + 1;
        for (int i = 0; i < 8; i++)
            if (hex[i] >= 'A' && hex[i] <= 'F') hex[i] = (char)(hex[i] - 'A' + 'a');
        cm_buf b = CM_BUF_INIT;
        note_verifier_format(&v, &b);
        FUZZ_CHECK(b.len == strlen(s) && memcmp(b.data, s, b.len) == 0);
        buf_free(&b);
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    open_note(text, size);
    parse_checkpoint(text, size);
    parse_vkey(text, size);
    log_key k;
    cm_error err;
    if (log_key_from_pem(&k, text, size, &err) == 0) log_key_free(&k);
    return 0;
}
