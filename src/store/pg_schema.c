/*
 * pg_schema.c: the tables of a cmcc store on PostgreSQL.
 *
 * The same tables, columns (in the same order) and meaning as the SQLite
 * schema of the same version (store_schema.c says what each holds), in
 * PostgreSQL's types: INTEGER is bigint, REAL double precision, BLOB bytea,
 * and every text column has the "C" collation, so that rows sort byte by
 * byte as SQLite's BINARY collation sorts them, whatever the database's
 * locale (a copy between the two, and `cmcc verify`'s row-by-row
 * comparison, rely on it). Two additions: tokens.seq orders tokens made in
 * the same millisecond (SQLite's rowid), and the weapons' serial numbers
 * are indexed by an expression on the body read as jsonb.
 *
 * meta('schema') is the version, as on SQLite; pg_upgrades[i] takes a store
 * of version i + 1 to i + 2 (none yet: the first PostgreSQL schema is
 * version 6).
 */
#include "store/pg_int.h"

#define T "text COLLATE \"C\""
#define I "bigint"

const char pg_schema_sql[] =
    "CREATE TABLE meta(key " T " PRIMARY KEY, value " T " NOT NULL);\n"
    "CREATE TABLE entries(idx " I " PRIMARY KEY, entry bytea NOT NULL,\n"
    "  org " T " NOT NULL, id " T " NOT NULL, type " T " NOT NULL);\n"
    "CREATE TABLE hashes(key " I " PRIMARY KEY, hash bytea NOT NULL);\n"
    "CREATE TABLE checkpoints(size " I " PRIMARY KEY, note " T " NOT NULL,\n"
    "  created " I " NOT NULL);\n"
    "CREATE TABLE tokens(id " T " PRIMARY KEY, hash bytea NOT NULL UNIQUE, org " T " NOT NULL,\n"
    "  created " I " NOT NULL, revoked " I ", keyid " T ", asked " I ",\n"
    "  seq bigserial NOT NULL);\n"
    "CREATE INDEX tokens_keyid ON tokens(keyid, created) WHERE keyid IS NOT NULL;\n"
    "CREATE TABLE event_ids(org " T " NOT NULL, id " T " NOT NULL, idx " I " NOT NULL,\n"
    "  PRIMARY KEY(org, id));\n"
    "CREATE TABLE orgs(org " T " PRIMARY KEY, name " T " NOT NULL, roles " T " NOT NULL,\n"
    "  role_bits " I " NOT NULL, country " T ", status " T " NOT NULL, reason " T ",\n"
    "  admitted " I " NOT NULL, updated " I " NOT NULL, names " T ");\n"
    "CREATE TABLE keys(keyid " T " PRIMARY KEY, org " T " NOT NULL, public_key " T " NOT NULL,\n"
    "  status " T " NOT NULL, reason " T ", added " I " NOT NULL, updated " I " NOT NULL);\n"
    "CREATE INDEX keys_org ON keys(org, status);\n"
    "CREATE TABLE places(place " T " PRIMARY KEY, kind " T " NOT NULL, name " T " NOT NULL,\n"
    "  lat double precision NOT NULL, lon double precision NOT NULL, sector " T ",\n"
    "  status " T " NOT NULL, reason " T ", defined " I " NOT NULL, updated " I " NOT NULL,\n"
    "  names " T ");\n"
    "CREATE TABLE consignments(consignment " T " PRIMARY KEY, declared_by " T " NOT NULL,\n"
    "  consignee " T " NOT NULL, crossing " T " NOT NULL, donor " T ", reference " T ",\n"
    "  time " I " NOT NULL, screened " I " NOT NULL DEFAULT 0, first_entry " I " NOT NULL,\n"
    "  updated " I " NOT NULL);\n"
    "CREATE TABLE lines(consignment " T " NOT NULL, line " I " NOT NULL, item " T " NOT NULL,\n"
    "  category " T " NOT NULL, unit " T " NOT NULL, weight_kg double precision,\n"
    "  declared " I " NOT NULL, approved " I ", reason " T ",\n"
    "  entered " I " NOT NULL DEFAULT 0 CHECK(entered >= 0), updated " I " NOT NULL,\n"
    "  PRIMARY KEY(consignment, line));\n"
    "CREATE TABLE accounts(consignment " T " NOT NULL, line " I " NOT NULL,\n"
    "  kind " T " NOT NULL, holder " T " NOT NULL, qty " I " NOT NULL CHECK(qty >= 0),\n"
    "  last_time " I " NOT NULL, updated " I " NOT NULL,\n"
    "  PRIMARY KEY(consignment, line, kind, holder));\n"
    "CREATE TABLE movements(idx " I " NOT NULL, seq " I " NOT NULL,\n"
    "  consignment " T " NOT NULL, line " I " NOT NULL, from_kind " T " NOT NULL,\n"
    "  from_holder " T " NOT NULL, to_kind " T " NOT NULL, to_holder " T " NOT NULL,\n"
    "  qty " I " NOT NULL, time " I " NOT NULL, PRIMARY KEY(idx, seq));\n"
    "CREATE INDEX movements_time ON movements(time);\n"
    "CREATE TABLE transfers(transfer " T " PRIMARY KEY, consignment " T " NOT NULL,\n"
    "  from_org " T " NOT NULL, to_org " T " NOT NULL, kind " T " NOT NULL, place " T ",\n"
    "  status " T " NOT NULL, reason " T ", time " I " NOT NULL, closed_time " I ",\n"
    "  opened " I " NOT NULL, updated " I " NOT NULL);\n"
    "CREATE TABLE transfer_lines(transfer " T " NOT NULL, line " I " NOT NULL,\n"
    "  sent " I " NOT NULL, received " I ", updated " I " NOT NULL,\n"
    "  PRIMARY KEY(transfer, line));\n"
    "CREATE TABLE distributions(distribution " T " PRIMARY KEY, consignment " T " NOT NULL,\n"
    "  place " T " NOT NULL, org " T " NOT NULL, households " I ", individuals " I ",\n"
    "  time " I " NOT NULL, updated " I " NOT NULL);\n"
    "CREATE TABLE losses(loss " T " PRIMARY KEY, consignment " T " NOT NULL, cause " T
    " NOT NULL,\n"
    "  source " T " NOT NULL, org " T " NOT NULL, incident " T ", reported_by " T " NOT NULL,\n"
    "  time " I " NOT NULL, updated " I " NOT NULL);\n"
    "CREATE TABLE consignment_events(consignment " T " NOT NULL, idx " I " NOT NULL,\n"
    "  PRIMARY KEY(consignment, idx));\n"
    "CREATE TABLE things(kind " T " NOT NULL, id " T " NOT NULL, org " T " NOT NULL,\n"
    "  status " T " NOT NULL, body " T " NOT NULL, time " I " NOT NULL,\n"
    "  created " I " NOT NULL, updated " I " NOT NULL, PRIMARY KEY(kind, id));\n"
    "CREATE TABLE thing_notes(kind " T " NOT NULL, id " T " NOT NULL, idx " I " NOT NULL,\n"
    "  seq " I " NOT NULL, org " T " NOT NULL, note " T " NOT NULL, body " T " NOT NULL,\n"
    "  time " I " NOT NULL, latest " I " NOT NULL,\n"
    "  PRIMARY KEY(kind, id, idx, seq));\n"
    "CREATE INDEX thing_notes_idx ON thing_notes(idx) WHERE kind = 'alert';\n"
    "CREATE INDEX transfers_consignment ON transfers(consignment, opened);\n"
    "CREATE INDEX things_weapon_serial ON things(((body::jsonb) ->> 'serial'))\n"
    "  WHERE kind = 'weapon';\n"
    "INSERT INTO meta VALUES('schema', '" STORE_QUOTE(STORE_SCHEMA_VERSION) "');\n";

const char *const pg_upgrades[] = {NULL, NULL, NULL, NULL, NULL, NULL};

const char *const pg_tables[] = {"meta",          "entries",     "hashes",
                                 "checkpoints",   "tokens",      "event_ids",
                                 "orgs",          "keys",        "places",
                                 "consignments",  "lines",       "accounts",
                                 "movements",     "transfers",   "transfer_lines",
                                 "distributions", "losses",      "consignment_events",
                                 "things",        "thing_notes", NULL};
