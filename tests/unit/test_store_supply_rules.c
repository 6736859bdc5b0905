/*
 * test_store_supply_rules.c: the supply ledger's rules (src/event/supply.c)
 * judged by ev_apply against a real store in a temporary file
 * (ruleworld.h), without HTTP: one consignment declared, screened, entered,
 * accepted with a shortfall, transferred, rejected, distributed and partly
 * lost. Each refusal is checked for its code and field, each acceptance for
 * its effects and the balances it leaves, and after every step the ledger's
 * invariant: entered = the sum of the line's accounts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ruleworld.h"
#include "views/supply.h"

#define RELIEF  1 /* humanitarian */
#define INSPECT 2 /* inspector */
#define TRUCK   3 /* transporter */
#define OTHER   4 /* humanitarian */

/* Every account a line of c1 can have in this story. */
static const char *const accounts[] = {"held:relief",         "held:truck",         "held:other",
                                       "pending:t1",          "pending:t2",         "pending:t3",
                                       "distributed",         "lost:looted",        "lost:damaged",
                                       "unaccounted:inspect", "unaccounted:relief", NULL};

static long long balance(long long line, const char *account)
{
    ev_view v;
    store_view(RW.s, &v);
    long long q = -1;
    assert_int_equal(v.balance(v.ctx, "c1", line, account, &q), 1);
    return q;
}

static ev_line_state line_state(long long line)
{
    ev_view v;
    store_view(RW.s, &v);
    ev_line_state ls;
    assert_int_equal(v.line(v.ctx, "c1", line, &ls), 1);
    return ls;
}

/* entered = the sum of every account, for both lines of c1; and the
 * read model's check of every line finds nothing. */
static void ledger_holds(void)
{
    for (long long line = 1; line <= 2; line++) {
        long long sum = 0;
        for (size_t i = 0; accounts[i]; i++) sum += balance(line, accounts[i]);
        assert_int_equal(sum, line_state(line).entered);
    }
    cm_buf report = CM_BUF_INIT;
    cm_error err;
    assert_int_equal(views_check_ledger(RW.s, &report, &err), 0);
    buf_free(&report);
}

/* The nth FX_MOVE: line, quantity, from and to. */
static void moved(size_t nth, long long line, long long qty, const char *from, const char *to)
{
    const ev_fx *f = rw_fx(FX_MOVE, nth);
    assert_non_null(f);
    assert_int_equal(f->u.move.line, line);
    assert_int_equal(f->u.move.qty, qty);
    assert_string_equal(f->u.move.from, from);
    assert_string_equal(f->u.move.to, to);
}

static int setup(void **state)
{
    if (rw_setup(state)) return -1;
    rw_admit("relief", "[\"humanitarian\"]", RELIEF);
    rw_admit("inspect", "[\"inspector\"]", INSPECT);
    rw_admit("truck", "[\"transporter\"]", TRUCK);
    rw_admit("other", "[\"humanitarian\"]", OTHER);
    rw_place("kerem", "crossing");
    rw_place("dp1", "distribution_point");
    return 0;
}

#define DECLARE                                                                                    \
    "{\"consignment\":\"c1\",\"crossing\":\"%s\",\"lines\":["                                      \
    "{\"line\":1,\"item\":\"flour\",\"category\":\"food\",\"quantity\":100,\"unit\":\"kg\"},"      \
    "{\"line\":2,\"item\":\"tents\",\"category\":\"shelter\",\"quantity\":50,\"unit\":\"kit\"}]}"

static void test_declare(void **state)
{
    (void)state;
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "consignment.declare", DECLARE, "dp1"),
               CM_RULE_VIOLATION, "body.crossing");
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.declare", DECLARE, "kerem"),
               CM_FORBIDDEN, "type");
    assert_int_equal(rw_submit(rw_key(RELIEF), "relief", "consignment.declare", DECLARE, "kerem"),
                     CM_OK);
    const ev_fx *f = rw_fx(FX_CONSIGNMENT_DECLARE, 0);
    assert_non_null(f);
    assert_string_equal(f->u.consignment_declare.consignee, "relief");
    assert_int_equal(rw_fx_count(FX_LINE_DECLARE), 2);
    assert_int_equal(rw_fx(FX_LINE_DECLARE, 1)->u.line_declare.quantity, 50);
    assert_int_equal(rw_fx_count(FX_MOVE), 0);
    assert_int_equal(line_state(1).declared, 100);
    assert_int_equal(line_state(1).approved, -1);
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "consignment.declare", DECLARE, "kerem"),
               CM_RULE_VIOLATION, "body.consignment");
    ledger_holds();
}

static void test_screen(void **state)
{
    (void)state;
    const char *const enter = "{\"consignment\":\"c1\",\"transfer\":\"t0\",\"crossing\":\"kerem\","
                              "\"to\":\"relief\",\"lines\":[{\"line\":1,\"quantity\":1}]}";
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.enter", "%s", enter),
               CM_RULE_VIOLATION, "body.consignment");
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.screen",
                         "{\"consignment\":\"c1\",\"decisions\":[{\"line\":1,\"approved\":101},"
                         "{\"line\":2,\"approved\":50}]}"),
               CM_RULE_VIOLATION, "body.decisions[0].approved");
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.screen",
                         "{\"consignment\":\"c1\",\"decisions\":[{\"line\":1,\"approved\":100},"
                         "{\"line\":2,\"approved\":40}]}"),
               CM_RULE_VIOLATION, "body.decisions[1].reason");
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.screen",
                         "{\"consignment\":\"c1\",\"decisions\":[{\"line\":1,\"approved\":100}]}"),
               CM_RULE_VIOLATION, "body.decisions");
    const char *const screen =
        "{\"consignment\":\"c1\",\"decisions\":[{\"line\":1,\"approved\":100},"
        "{\"line\":2,\"approved\":40,\"reason\":\"damaged\"}]}";
    assert_int_equal(rw_submit(rw_key(INSPECT), "inspect", "consignment.screen", "%s", screen),
                     CM_OK);
    assert_int_equal(rw_fx_count(FX_LINE_SCREEN), 2);
    assert_int_equal(rw_fx(FX_LINE_SCREEN, 1)->u.line_screen.approved, 40);
    assert_non_null(rw_fx(FX_CONSIGNMENT_SCREENED, 0));
    assert_int_equal(line_state(2).approved, 40);
    assert_int_equal(line_state(2).entered, 0);
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.screen", "%s", screen),
               CM_RULE_VIOLATION, "body.consignment");
    ledger_holds();
}

static void test_enter(void **state)
{
    (void)state;
    const char *const fmt = "{\"consignment\":\"c1\",\"transfer\":\"t1\",\"crossing\":\"kerem\","
                            "\"to\":\"%s\",\"lines\":[{\"line\":1,\"quantity\":100},"
                            "{\"line\":2,\"quantity\":%d}]}";
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.enter", fmt, "relief", 41),
               CM_RULE_VIOLATION, "body.lines[1].quantity");
    rw_refused(rw_submit(rw_key(INSPECT), "inspect", "consignment.enter", fmt, "inspect", 40),
               CM_RULE_VIOLATION, "body.to");
    assert_int_equal(rw_submit(rw_key(INSPECT), "inspect", "consignment.enter", fmt, "relief", 40),
                     CM_OK);
    const ev_fx *f = rw_fx(FX_TRANSFER_OPEN, 0);
    assert_non_null(f);
    assert_true(f->u.transfer_open.entry);
    assert_string_equal(f->u.transfer_open.from, "inspect");
    moved(0, 1, 100, "", "pending:t1");
    moved(1, 2, 40, "", "pending:t1");
    assert_int_equal(line_state(1).entered, 100);
    assert_int_equal(balance(2, "pending:t1"), 40);
    ledger_holds();
}

static void test_accept_with_shortfall(void **state)
{
    (void)state;
    const char *const fmt = "{\"transfer\":\"t1\",\"lines\":[{\"line\":1,\"received\":%d},"
                            "{\"line\":2,\"received\":40}],\"reason\":\"torn sacks\"}";
    rw_refused(rw_submit(rw_key(OTHER), "other", "custody.accept", fmt, 90), CM_FORBIDDEN, "org");
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.accept", fmt, 101), CM_RULE_VIOLATION,
               "body.lines[0].received");
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.accept",
                         "{\"transfer\":\"t1\",\"lines\":[{\"line\":1,\"received\":90}]}"),
               CM_RULE_VIOLATION, "body.lines");
    assert_int_equal(rw_submit(rw_key(RELIEF), "relief", "custody.accept", fmt, 90), CM_OK);
    moved(0, 1, 90, "pending:t1", "held:relief");
    moved(1, 1, 10, "pending:t1", "unaccounted:inspect");
    moved(2, 2, 40, "pending:t1", "held:relief");
    assert_int_equal(rw_fx_count(FX_MOVE), 3);
    assert_int_equal(balance(1, "held:relief"), 90);
    assert_int_equal(balance(1, "unaccounted:inspect"), 10);
    assert_int_equal(balance(1, "pending:t1"), 0);
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.accept", fmt, 90), CM_RULE_VIOLATION,
               "body.transfer");
    ledger_holds();
}

static void test_transfer_and_reject(void **state)
{
    (void)state;
    const char *const fmt = "{\"transfer\":\"%s\",\"consignment\":\"c1\",\"to\":\"%s\","
                            "\"lines\":[{\"line\":1,\"quantity\":%d}]}";
    /* over-spending: relief holds 90 of line 1 */
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.transfer", fmt, "t2", "truck", 91),
               CM_RULE_VIOLATION, "body.lines[0].quantity");
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.transfer", fmt, "t2", "relief", 30),
               CM_RULE_VIOLATION, "body.to");
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.transfer", fmt, "t2", "inspect", 30),
               CM_RULE_VIOLATION, "body.to");
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.transfer", fmt, "t1", "truck", 30),
               CM_RULE_VIOLATION, "body.transfer");
    assert_int_equal(
        rw_submit(rw_key(RELIEF), "relief", "custody.transfer", fmt, "t2", "truck", 30), CM_OK);
    moved(0, 1, 30, "held:relief", "pending:t2");
    assert_int_equal(balance(1, "held:relief"), 60);
    ledger_holds();
    /* rejected: back to the sender */
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "custody.reject",
                         "{\"transfer\":\"t2\",\"reason\":\"no room\"}"),
               CM_FORBIDDEN, "org");
    rw_refused(rw_submit(rw_key(TRUCK), "truck", "custody.reject", "{\"transfer\":\"t2\"}"),
               CM_BAD_REQUEST, "body.reason");
    assert_int_equal(rw_submit(rw_key(TRUCK), "truck", "custody.reject",
                               "{\"transfer\":\"t2\",\"reason\":\"no room\"}"),
                     CM_OK);
    moved(0, 1, 30, "pending:t2", "held:relief");
    assert_int_equal(rw_fx(FX_TRANSFER_CLOSE, 0)->u.transfer_close.accepted, 0);
    assert_int_equal(balance(1, "held:relief"), 90);
    assert_int_equal(balance(1, "pending:t2"), 0);
    ledger_holds();
    /* again, and accepted in full */
    assert_int_equal(
        rw_submit(rw_key(RELIEF), "relief", "custody.transfer", fmt, "t3", "truck", 30), CM_OK);
    assert_int_equal(rw_submit(rw_key(TRUCK), "truck", "custody.accept",
                               "{\"transfer\":\"t3\",\"lines\":[{\"line\":1,\"received\":30}]}"),
                     CM_OK);
    assert_int_equal(rw_fx_count(FX_MOVE), 1);
    assert_int_equal(balance(1, "held:truck"), 30);
    assert_int_equal(balance(1, "held:relief"), 60);
    ledger_holds();
}

static void test_distribute(void **state)
{
    (void)state;
    const char *const fmt = "{\"distribution\":\"d1\",\"consignment\":\"c1\",\"place\":\"%s\","
                            "\"lines\":[{\"line\":1,\"quantity\":%d}],\"households\":12}";
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "distribution.record", fmt, "dp1", 61),
               CM_RULE_VIOLATION, "body.lines[0].quantity");
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "distribution.record", fmt, "kerem", 50),
               CM_RULE_VIOLATION, "body.place");
    rw_refused(rw_submit(rw_key(TRUCK), "truck", "distribution.record", fmt, "dp1", 10),
               CM_FORBIDDEN, "type");
    assert_int_equal(rw_submit(rw_key(RELIEF), "relief", "distribution.record", fmt, "dp1", 50),
                     CM_OK);
    assert_int_equal(rw_fx(FX_DISTRIBUTION, 0)->u.distribution.households, 12);
    moved(0, 1, 50, "held:relief", "distributed");
    assert_int_equal(balance(1, "held:relief"), 10);
    assert_int_equal(balance(1, "distributed"), 50);
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "distribution.record", fmt, "dp1", 1),
               CM_RULE_VIOLATION, "body.distribution");
    ledger_holds();
}

static void test_loss(void **state)
{
    (void)state;
    const char *const fmt = "{\"loss\":\"%s\",\"consignment\":\"c1\",\"cause\":\"looted\","
                            "\"from\":\"%s\",\"lines\":[{\"line\":1,\"quantity\":%d}]%s}";
    rw_refused(rw_submit(rw_key(TRUCK), "truck", "loss.report", fmt, "l1", "held", 31, ""),
               CM_RULE_VIOLATION, "body.lines[0].quantity");
    /* another org's unaccounted quantity: a coordinator's to settle */
    rw_refused(rw_submit(rw_key(RELIEF), "relief", "loss.report", fmt, "l1", "unaccounted", 5,
                         ",\"org\":\"inspect\""),
               CM_FORBIDDEN, "body.org");
    assert_int_equal(rw_submit(rw_key(TRUCK), "truck", "loss.report", fmt, "l1", "held", 5, ""),
                     CM_OK);
    moved(0, 1, 5, "held:truck", "lost:looted");
    assert_string_equal(rw_fx(FX_LOSS, 0)->u.loss.org, "truck");
    assert_int_equal(balance(1, "held:truck"), 25);
    assert_int_equal(balance(1, "lost:looted"), 5);
    ledger_holds();
    rw_refused(rw_submit(rw_key(TRUCK), "truck", "loss.report", fmt, "l1", "held", 1, ""),
               CM_RULE_VIOLATION, "body.loss");
    rw_refused(rw_submit(rw_key(0), "cell", "loss.report", fmt, "l2", "unaccounted", 11,
                         ",\"org\":\"inspect\""),
               CM_RULE_VIOLATION, "body.lines[0].quantity");
    assert_int_equal(rw_submit(rw_key(0), "cell", "loss.report", fmt, "l2", "unaccounted", 10,
                               ",\"org\":\"inspect\""),
                     CM_OK);
    moved(0, 1, 10, "unaccounted:inspect", "lost:looted");
    assert_int_equal(balance(1, "unaccounted:inspect"), 0);
    assert_int_equal(balance(1, "lost:looted"), 15);
    assert_int_equal(line_state(1).entered, 100);
    ledger_holds();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declare),
        cmocka_unit_test(test_screen),
        cmocka_unit_test(test_enter),
        cmocka_unit_test(test_accept_with_shortfall),
        cmocka_unit_test(test_transfer_and_reject),
        cmocka_unit_test(test_distribute),
        cmocka_unit_test(test_loss),
    };
    return cmocka_run_group_tests(tests, setup, rw_teardown);
}
