/*
 * fuzz_manifest.c: the CSV importer (cli/manifest.c, libcsv underneath),
 * what `cmcc import` makes of a manifest file.
 *
 * Input: the file's bytes, given to cli_manifest_build for org "fuzz-org"
 * with 2025-05-31T00:00:00Z as the default time and no error stream (bad
 * rows are counted, not printed). Properties: every consignment seen is
 * either made into an event or counted as skipped; every event made is
 * one the server's parser accepts (ev_event_parse), a consignment.declare
 * of that org; the result is freed (leaks are findings).
 *
 * Seeds (corpus/manifest/): plain and HXL-tagged manifests, quoted fields,
 * dates, bad rows and inconsistent consignments.
 */
#include "fuzz.h"

#include "cli/cli.h"

#include <string.h>

#define DEFAULT_TIME_MS 1748649600000LL /* 2025-05-31T00:00:00Z */
/* The builder checks its events against the real clock (a `date` in the
 * future is refused); checked again here against the end of time, so that
 * the property holds whatever the clock says. */
#define END_OF_TIME_MS 253402300799000LL /* 9999-12-31T23:59:59Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_manifest m;
    cm_error err;
    if (cli_manifest_build((const char *)data, size, "fuzz-org", DEFAULT_TIME_MS, NULL, &m, &err) !=
        0)
        return 0;
    FUZZ_CHECK(m.n + m.skipped == m.consignments);
    FUZZ_CHECK(m.consignments <= m.rows);
    for (size_t i = 0; i < m.n; i++) {
        ev_event e;
        memset(&e, 0, sizeof e);
        e.env.payload_len = strlen(m.json[i]);
        e.env.payload = (uint8_t *)m.json[i];
        FUZZ_CHECK(ev_event_parse(&e, END_OF_TIME_MS, &err) == 0);
        FUZZ_CHECK(strcmp(e.type->name, "consignment.declare") == 0);
        FUZZ_CHECK(strcmp(e.org, "fuzz-org") == 0);
        json_decref(e.root);
    }
    cli_manifest_free(&m);
    return 0;
}
