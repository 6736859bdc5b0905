/*
 * store_schema.c: the tables of a cmcc store (SQLite).
 *
 * The log:
 *   entries(idx, entry, org, id, type)   entry i as appended, byte for byte
 *   hashes(key, hash)                    every complete tree node; key =
 *                                        level << 56 | index
 *   checkpoints(size, note, created)     signed checkpoints, newest last
 * Operator data, not in the log:
 *   meta(key, value)                     origin, log verifier key, version
 *   tokens(id, hash, org, created, revoked, keyid, asked)  read tokens by SHA-256
 *                                        only; keyid is the device key a
 *                                        device token is bound to (NULL for
 *                                        the operator's)
 * Projections, a pure function of the entries (rebuilt by `cmcc rebuild`,
 * compared by `cmcc verify`); `updated` is the entry that last wrote a row:
 *   event_ids(org, id, idx)              idempotency keys
 *   orgs, keys, places                   the registry
 *   consignments, lines                  declared, screened, entered per line
 *   accounts(consignment, line, kind, holder, qty)  the ledger's balances,
 *                                        never negative; kind is held,
 *                                        pending, distributed, lost or
 *                                        unaccounted, holder the org, the
 *                                        transfer or the cause ("" for
 *                                        distributed); last_time = the
 *                                        latest movement's event time
 *   movements(idx, seq, ...)             the ledger's journal: every posting,
 *                                        from (kind, holder) to (kind,
 *                                        holder), ("", "") outside the book
 *   transfers, transfer_lines            entries and custody handovers
 *   distributions, losses                what left the ledger's live accounts
 *   consignment_events(consignment, idx) the entries that concern a consignment
 *   things(kind, id, org, status, body)  sites, zones, movements, incidents,
 *                                        requirements, pledges, weapons,
 *                                        benchmarks: their body is the event
 *                                        body (JSON) that made or replaced them
 *   thing_notes(kind, id, idx, seq, ...) their history: responses, reports,
 *                                        assessments, ...; `latest` marks an
 *                                        org's latest note of a kind
 * Indexes beyond the keys: keys(org, status), movements(time),
 * transfers(consignment, opened), and the weapons' serial numbers (the
 * recycled-weapon check of every handover looks one up).
 *
 * meta('schema') is the version: store_schema_sql makes the newest, and
 * store_upgrades[i] takes a store of version i + 1 to version i + 2 (the
 * caller, store_open, then records the version).
 */
#include "store/store_int.h"

/* the device tokens of a key, newest first (issuing one prunes the rest) */
#define TOKENS_KEYID_INDEX                                                                         \
    "CREATE INDEX tokens_keyid ON tokens(keyid, created) WHERE keyid IS NOT NULL;\n"

#define WEAPON_SERIAL_INDEX                                                                        \
    "CREATE INDEX things_weapon_serial ON things(json_extract(body, '$.serial'))\n"                \
    "  WHERE kind = 'weapon';\n"

/* The ledger's balances and journal (version 6): an account is a kind
 * (held, pending, distributed, lost, unaccounted; "" for the outside of the
 * book in the journal) and its holder (the org, the transfer or the cause;
 * "" for distributed and for the outside) */
#define ACCOUNTS_TABLES                                                                            \
    "CREATE TABLE accounts(consignment TEXT NOT NULL, line INTEGER NOT NULL,\n"                    \
    "  kind TEXT NOT NULL, holder TEXT NOT NULL, qty INTEGER NOT NULL CHECK(qty >= 0),\n"          \
    "  last_time INTEGER NOT NULL, updated INTEGER NOT NULL,\n"                                    \
    "  PRIMARY KEY(consignment, line, kind, holder)) WITHOUT ROWID;\n"                             \
    "CREATE TABLE movements(idx INTEGER NOT NULL, seq INTEGER NOT NULL,\n"                         \
    "  consignment TEXT NOT NULL, line INTEGER NOT NULL, from_kind TEXT NOT NULL,\n"               \
    "  from_holder TEXT NOT NULL, to_kind TEXT NOT NULL, to_holder TEXT NOT NULL,\n"               \
    "  qty INTEGER NOT NULL, time INTEGER NOT NULL, PRIMARY KEY(idx, seq)) WITHOUT ROWID;\n"       \
    "CREATE INDEX movements_time ON movements(time);\n"

/* The kind and the holder of a version-5 account name "kind:holder" (or
 * "kind", or "" outside the book), in SQL. */
#define KIND_OF(a)                                                                                 \
    "CASE WHEN instr(" a ", ':') > 0 THEN substr(" a ", 1, instr(" a ", ':') - 1) ELSE " a " END"
#define HOLDER_OF(a)                                                                               \
    "CASE WHEN instr(" a ", ':') > 0 THEN substr(" a ", instr(" a ", ':') + 1) ELSE '' END"

const char store_schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE entries(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL,\n"
    "  org TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL);\n"
    "CREATE TABLE hashes(key INTEGER PRIMARY KEY, hash BLOB NOT NULL);\n"
    "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL);\n"
    "CREATE TABLE tokens(id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, org TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL, revoked INTEGER, keyid TEXT, asked INTEGER);\n" TOKENS_KEYID_INDEX
    "CREATE TABLE event_ids(org TEXT NOT NULL, id TEXT NOT NULL, idx INTEGER NOT NULL,\n"
    "  PRIMARY KEY(org, id)) WITHOUT ROWID;\n"
    "CREATE TABLE orgs(org TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL,\n"
    "  role_bits INTEGER NOT NULL, country TEXT, status TEXT NOT NULL, reason TEXT,\n"
    "  admitted INTEGER NOT NULL, updated INTEGER NOT NULL, names TEXT) WITHOUT ROWID;\n"
    "CREATE TABLE keys(keyid TEXT PRIMARY KEY, org TEXT NOT NULL, public_key TEXT NOT NULL,\n"
    "  status TEXT NOT NULL, reason TEXT, added INTEGER NOT NULL, updated INTEGER NOT NULL)\n"
    "  WITHOUT ROWID;\n"
    "CREATE INDEX keys_org ON keys(org, status);\n"
    "CREATE TABLE places(place TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,\n"
    "  lat REAL NOT NULL, lon REAL NOT NULL, sector TEXT, status TEXT NOT NULL, reason TEXT,\n"
    "  defined INTEGER NOT NULL, updated INTEGER NOT NULL, names TEXT) WITHOUT ROWID;\n"
    "CREATE TABLE consignments(consignment TEXT PRIMARY KEY, declared_by TEXT NOT NULL,\n"
    "  consignee TEXT NOT NULL, crossing TEXT NOT NULL, donor TEXT, reference TEXT,\n"
    "  time INTEGER NOT NULL, screened INTEGER NOT NULL DEFAULT 0, first_entry INTEGER NOT NULL,\n"
    "  updated INTEGER NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE lines(consignment TEXT NOT NULL, line INTEGER NOT NULL, item TEXT NOT NULL,\n"
    "  category TEXT NOT NULL, unit TEXT NOT NULL, weight_kg REAL, declared INTEGER NOT NULL,\n"
    "  approved INTEGER, reason TEXT, entered INTEGER NOT NULL DEFAULT 0 CHECK(entered >= 0),\n"
    "  updated INTEGER NOT NULL, PRIMARY KEY(consignment, line)) WITHOUT ROWID;\n" ACCOUNTS_TABLES
    "CREATE TABLE transfers(transfer TEXT PRIMARY KEY, consignment TEXT NOT NULL,\n"
    "  from_org TEXT NOT NULL, to_org TEXT NOT NULL, kind TEXT NOT NULL, place TEXT,\n"
    "  status TEXT NOT NULL, reason TEXT, time INTEGER NOT NULL, closed_time INTEGER,\n"
    "  opened INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE transfer_lines(transfer TEXT NOT NULL, line INTEGER NOT NULL,\n"
    "  sent INTEGER NOT NULL, received INTEGER, updated INTEGER NOT NULL,\n"
    "  PRIMARY KEY(transfer, line)) WITHOUT ROWID;\n"
    "CREATE TABLE distributions(distribution TEXT PRIMARY KEY, consignment TEXT NOT NULL,\n"
    "  place TEXT NOT NULL, org TEXT NOT NULL, households INTEGER, individuals INTEGER,\n"
    "  time INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE losses(loss TEXT PRIMARY KEY, consignment TEXT NOT NULL, cause TEXT NOT NULL,\n"
    "  source TEXT NOT NULL, org TEXT NOT NULL, incident TEXT, reported_by TEXT NOT NULL,\n"
    "  time INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE consignment_events(consignment TEXT NOT NULL, idx INTEGER NOT NULL,\n"
    "  PRIMARY KEY(consignment, idx)) WITHOUT ROWID;\n"
    "CREATE TABLE things(kind TEXT NOT NULL, id TEXT NOT NULL, org TEXT NOT NULL,\n"
    "  status TEXT NOT NULL, body TEXT NOT NULL, time INTEGER NOT NULL,\n"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(kind, id))\n"
    "  WITHOUT ROWID;\n"
    "CREATE TABLE thing_notes(kind TEXT NOT NULL, id TEXT NOT NULL, idx INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL, org TEXT NOT NULL, note TEXT NOT NULL, body TEXT NOT NULL,\n"
    "  time INTEGER NOT NULL, latest INTEGER NOT NULL,\n"
    "  PRIMARY KEY(kind, id, idx, seq)) WITHOUT ROWID;\n"
    "CREATE INDEX transfers_consignment ON transfers(consignment, opened);\n" WEAPON_SERIAL_INDEX
    "INSERT INTO meta VALUES('schema', '" STORE_QUOTE(STORE_SCHEMA_VERSION) "');\n";

const char *const store_upgrades[] = {
    /* 1 -> 2: the weapons' serial numbers are indexed */
    WEAPON_SERIAL_INDEX,
    /* 2 -> 3: a token may be bound to a device's key */
    "ALTER TABLE tokens ADD COLUMN keyid TEXT;\n" TOKENS_KEYID_INDEX,
    /* 3 -> 4: orgs and places may have names by language (JSON text) */
    "ALTER TABLE orgs ADD COLUMN names TEXT;\n"
    "ALTER TABLE places ADD COLUMN names TEXT;\n",
    /* 4 -> 5: a device token keeps the time of the request it answered */
    "ALTER TABLE tokens ADD COLUMN asked INTEGER;\n",
    /* 5 -> 6: accounts are (kind, holder) columns, not "kind:holder"; the
     * balances and statuses are computed by the read model (src/views/),
     * no longer by two SQL views */
    "DROP VIEW consignment_summary;\n"
    "DROP VIEW line_balances;\n"
    "DROP INDEX movements_time;\n"
    "ALTER TABLE accounts RENAME TO accounts_5;\n"
    "ALTER TABLE movements RENAME TO movements_5;\n" ACCOUNTS_TABLES
    "INSERT INTO accounts SELECT consignment, line, " KIND_OF("account") ", " HOLDER_OF(
        "account") ", qty, last_time, updated FROM accounts_5;\n"
                   "INSERT INTO movements SELECT idx, seq, consignment, "
                   "line, " KIND_OF("from_account") ", " HOLDER_OF(
                       "from_"
                       "accou"
                       "nt") ", " KIND_OF("to_account") ", " HOLDER_OF("to_account") ", "
                                                                                     "qty, "
                                                                                     "time "
                                                                                     "FROM "
                                                                                     "moveme"
                                                                                     "nts_5;"
                                                                                     "\n"
                                                                                     "DROP "
                                                                                     "TABLE "
                                                                                     "accoun"
                                                                                     "ts_5;"
                                                                                     "\n"
                                                                                     "DROP "
                                                                                     "TABLE "
                                                                                     "moveme"
                                                                                     "nts_5;"
                                                                                     "\n",
    NULL};

const char *const store_state_tables[] = {
    "event_ids",          "orgs",           "keys",          "places",
    "consignments",       "lines",          "accounts",      "movements",
    "transfers",          "transfer_lines", "distributions", "losses",
    "consignment_events", "things",         "thing_notes",   NULL};
