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
 *   tokens(id, hash, org, created, revoked)  read tokens by SHA-256 only
 * Projections, a pure function of the entries (rebuilt by `cmcc rebuild`,
 * compared by `cmcc verify`); `updated` is the entry that last wrote a row:
 *   event_ids(org, id, idx)              idempotency keys
 *   orgs, keys, places                   the registry
 */
#include "store/store_int.h"

const char store_schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE entries(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL,\n"
    "  org TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL);\n"
    "CREATE TABLE hashes(key INTEGER PRIMARY KEY, hash BLOB NOT NULL);\n"
    "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL);\n"
    "CREATE TABLE tokens(id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, org TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL, revoked INTEGER);\n"
    "CREATE TABLE event_ids(org TEXT NOT NULL, id TEXT NOT NULL, idx INTEGER NOT NULL,\n"
    "  PRIMARY KEY(org, id)) WITHOUT ROWID;\n"
    "CREATE TABLE orgs(org TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL,\n"
    "  role_bits INTEGER NOT NULL, country TEXT, status TEXT NOT NULL, reason TEXT,\n"
    "  admitted INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE keys(keyid TEXT PRIMARY KEY, org TEXT NOT NULL, public_key TEXT NOT NULL,\n"
    "  status TEXT NOT NULL, reason TEXT, added INTEGER NOT NULL, updated INTEGER NOT NULL)\n"
    "  WITHOUT ROWID;\n"
    "CREATE INDEX keys_org ON keys(org, status);\n"
    "CREATE TABLE places(place TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,\n"
    "  lat REAL NOT NULL, lon REAL NOT NULL, sector TEXT, status TEXT NOT NULL, reason TEXT,\n"
    "  defined INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;\n"
    "INSERT INTO meta VALUES('schema', '1');\n";

const char *const store_state_tables[] = {"event_ids", "orgs", "keys", "places", NULL};
