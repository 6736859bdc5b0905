/*
 * book.h: what the supply views share (internal to src/views/): the
 * ledger read from the store into arrays (book.c), each line with its
 * accounts and its balances by kind, each consignment with its totals and
 * the status derived from them; and the writers of the answers' values
 * (out.c), which write numbers, strings and times exactly as the read API
 * always has.
 */
#ifndef CMCC_VIEWS_BOOK_H
#define CMCC_VIEWS_BOOK_H

#include "views/supply.h"

/* The totals the answers give, over a line or a group of lines. */
typedef struct {
    long long declared, approved, entered, held, pending, distributed, lost, unaccounted;
} views_totals;

typedef struct {
    char *kind, *holder;
    long long qty, updated;
    int64_t last_time_ms;
} views_account;

typedef struct {
    char *consignment, *item, *category, *unit, *reason;
    long long line, declared, approved, entered; /* approved: -1 before screening */
    double weight_kg;                            /* < 0 when not given */
    views_totals t;                              /* t.approved is 0 before screening */
    size_t first_account, naccounts;             /* into views_book.accounts */
    long long last_moved;                        /* the entry that last moved an account, 0 */
} views_line;

typedef struct {
    char *consignment, *declared_by, *consignee, *crossing, *donor, *reference;
    int64_t time_ms;
    int screened;
    size_t first_line, nlines; /* into views_book.lines; a consignment with no line is */
                               /* in no answer */
    views_totals t;
    const char
        *status; /* declared, refused, screened, in_transit, in_custody, entering, completed */
} views_consignment;

typedef struct {
    views_consignment *c; /* by time, then consignment */
    size_t nc;
    views_line *lines; /* by consignment, then line */
    size_t nlines;
    views_account *accounts; /* by consignment, line, kind, holder */
    size_t naccounts;
    size_t *by_id; /* indexes of c by consignment */
} views_book;

/* Reads every consignment (or only `consignment`) with its lines and
 * accounts. 0, or -1 with err; views_book_free in both cases. */
int views_book_load(store *s, const char *consignment, views_book *b, cm_error *err);
void views_book_free(views_book *b);
/* The consignment of that id, or NULL. */
const views_consignment *views_book_find(const views_book *b, const char *id);

/* Called with each consignment a list lets through: 0 to go on, < 0 to stop. */
typedef int (*views_pick_fn)(void *ctx, const views_book *b, const views_consignment *c);
/* Loads the book and calls fn with each consignment that has lines and that
 * the filter (NULL: none) lets through, oldest first, as GET
 * /v1/consignments lists them (consignments.c). 0, or -1 with err (or when
 * fn stopped). */
int views_consignments_pick(store *s, const views_consignment_filter *f, views_pick_fn fn,
                            void *ctx, cm_error *err);
/* The line (consignment, line), or NULL. */
const views_line *views_book_line(const views_book *b, const char *consignment, long long line);
/* {"consignments":n, "declared":..., ...} over the consignments with lines */
void views_all_totals(cm_buf *out, const views_book *b);
/* t += u */
void views_totals_add(views_totals *t, const views_totals *u);

/* ---- out.c: the values of the answers ----------------------------------- */

/* A JSON string (null for NULL), escaped as the read API always has. */
void views_str(cm_buf *out, const char *s);
/* ,"key":"value" (or "key":... first when first is set) */
void views_kv_str(cm_buf *out, const char *key, const char *s);
void views_kv_int(cm_buf *out, const char *key, long long v);
/* A real number with 15 significant digits and always a fraction or an
 * exponent ("25.0", "0.5", "1.0e+20"). */
void views_real(cm_buf *out, double v);
/* A time in ms as "YYYY-MM-DDTHH:MM:SSZ" (quoted) and its day as
 * "YYYY-MM-DD" (into day, 11 bytes). */
void views_time(cm_buf *out, int64_t ms);
void views_day(int64_t ms, char day[11]);
/* An array being written, one element after another (a views_item_fn). */
typedef struct {
    cm_buf *out;
    int n;
} views_array;
int views_array_add(void *ctx, const char *json, size_t len);
/* "declared":n, ..., "unaccounted":n, each after a comma */
void views_totals_json(cm_buf *out, const views_totals *t);

#endif
