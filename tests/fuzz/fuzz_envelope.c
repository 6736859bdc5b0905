/*
 * fuzz_envelope.c: the whole parse path of one write, from the request's
 * bytes (event/envelope.c, event/event.c, event/json.c, event/schema.c).
 *
 * The input is taken as a DSSE envelope: ev_envelope_parse, and when it
 * parses, ev_event_parse of its payload against the fixed clock
 * FUZZ_NOW_MS (the signature is not checked: a fuzzer cannot sign, and
 * dsse_verify only hashes the bytes parsed here). Properties:
 *   - a parsed envelope written back (ev_envelope_write) parses again to
 *     the same envelope (ev_envelope_same);
 *   - its log entry (ev_entry_write) parses back (ev_entry_parse) to the
 *     same envelope and received time.
 * The same input is also taken as a stored log entry: ev_entry_parse
 * accepts only the exact bytes ev_entry_write makes of what it parsed.
 *
 * Seeds (corpus/envelope/): envelopes of every event type signed by
 * `cmcc sign`, log entries, and near misses.
 */
#include "fuzz.h"

#include "common/buf.h"
#include "event/event.h"

#include <string.h>

static void roundtrip(const ev_envelope *env)
{
    cm_buf b = CM_BUF_INIT;
    cm_error err;
    ev_envelope again;
    ev_envelope_write(env, &b);
    FUZZ_CHECK(ev_envelope_parse(b.data, b.len, &again, &err) == 0);
    FUZZ_CHECK(ev_envelope_same(env, &again));
    FUZZ_CHECK(again.payload_b64_len == env->payload_b64_len &&
               memcmp(again.payload_b64, env->payload_b64, env->payload_b64_len) == 0);
    ev_envelope_free(&again);

    int64_t received = 0;
    buf_reset(&b);
    ev_entry_write(env, FUZZ_NOW_MS + 123, &b);
    FUZZ_CHECK(ev_entry_parse(b.data, b.len, &again, &received, &err) == 0);
    FUZZ_CHECK(received == FUZZ_NOW_MS + 123);
    FUZZ_CHECK(ev_envelope_same(env, &again));
    ev_envelope_free(&again);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cm_error err;
    ev_event e;
    memset(&e, 0, sizeof e);
    if (ev_envelope_parse(text, size, &e.env, &err) == 0) {
        FUZZ_CHECK(e.env.payload_len > 0 && e.env.payload_len <= EV_PAYLOAD_MAX);
        roundtrip(&e.env);
        if (ev_event_parse(&e, FUZZ_NOW_MS, &err) == 0) {
            FUZZ_CHECK(e.type && e.id && e.org && e.body);
            FUZZ_CHECK(ev_is_id(e.id) && ev_is_id(e.org));
            FUZZ_CHECK(e.time_ms <= FUZZ_NOW_MS + EV_FUTURE_MS);
        }
        ev_event_free(&e);
    }

    ev_envelope env;
    int64_t received;
    if (ev_entry_parse(text, size, &env, &received, &err) == 0) {
        cm_buf b = CM_BUF_INIT;
        ev_entry_write(&env, received, &b);
        FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
        buf_free(&b);
        ev_envelope_free(&env);
    }
    return 0;
}
