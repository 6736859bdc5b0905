/*
 * ledger.c: the supply ledger's invariant, checked by `cmcc verify` on
 * the state a replay made (src/event/supply.c says why it holds): for
 * every line,
 *   entered = held + pending + distributed + lost + unaccounted
 * and no more entered than approved. Each line that breaks it is reported
 * with the entry that last moved one of its accounts.
 */
#include "views/book.h"

long views_check_ledger(store *s, cm_buf *report, cm_error *err)
{
    views_book b;
    if (views_book_load(s, NULL, &b, err)) {
        views_book_free(&b);
        return -1;
    }
    long bad = 0;
    for (size_t i = 0; i < b.nlines; i++) {
        const views_line *l = &b.lines[i];
        const views_totals *t = &l->t;
        long long sum = t->held + t->pending + t->distributed + t->lost + t->unaccounted;
        if (t->entered == sum && t->entered <= t->approved) continue;
        buf_printf(report,
                   "line %lld of %s: entered %lld, but its accounts hold %lld (entry %lld last "
                   "moved it)\n",
                   l->line, l->consignment, t->entered, sum, l->last_moved);
        bad++;
    }
    views_book_free(&b);
    return bad;
}
