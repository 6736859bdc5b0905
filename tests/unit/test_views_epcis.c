/*
 * test_views_epcis.c: the vocabulary EPCIS out (views/epcis_*.c) and `cmcc
 * import --epcis` share (views/epcis_vocab.c): every supply type has one
 * step and back, the steps are CBV 2.0 words, the three written forms of a
 * CBV word (bare, ref.gs1.org URI, urn:epcglobal URN) read as one, a
 * loss's cause and its disposition, units and their UN/ECE codes, and
 * the base of identifiers percent-encodes what a URI path cannot hold.
 */
#include "views/epcis.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const char *const types[] = {
    "consignment.declare", "consignment.screen", "consignment.enter",   "custody.transfer",
    "custody.accept",      "custody.reject",     "distribution.record", "loss.report"};

/* CBV 2.0's business steps, as the standard lists them (the ones used) */
static const char *const cbv_steps[] = {"commissioning", "inspecting",    "arriving",   "shipping",
                                        "receiving",     "void_shipping", "dispensing", "other"};

static void each_type_has_one_step_and_back(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        const epcis_step *s = epcis_step_of_type(types[i]);
        assert_non_null(s);
        assert_string_equal(s->biz_step, cbv_steps[i]);
        assert_ptr_equal(epcis_step_of_biz_step(s->biz_step), s);
        assert_string_equal(s->action, i == 0 ? "ADD" : "OBSERVE");
    }
    assert_null(epcis_step_of_type("org.admit"));
    assert_null(epcis_step_of_type("site.notify"));
    assert_null(epcis_step_of_biz_step("repairing"));
    assert_null(epcis_step_of_biz_step(""));
}

static void cbv_words_in_three_forms(void **state)
{
    (void)state;
    assert_string_equal(epcis_cbv_word("shipping", "BizStep"), "shipping");
    assert_string_equal(epcis_cbv_word("https://ref.gs1.org/cbv/BizStep-shipping", "BizStep"),
                        "shipping");
    assert_string_equal(epcis_cbv_word("urn:epcglobal:cbv:bizstep:shipping", "BizStep"),
                        "shipping");
    assert_string_equal(epcis_cbv_word("https://ref.gs1.org/cbv/Disp-in_transit", "Disp"),
                        "in_transit");
    assert_string_equal(epcis_cbv_word("urn:epcglobal:cbv:disp:stolen", "Disp"), "stolen");
    /* another kind's URI, a partner's own vocabulary, or no word at all */
    assert_null(epcis_cbv_word("https://ref.gs1.org/cbv/Disp-in_transit", "BizStep"));
    assert_null(epcis_cbv_word("urn:epcglobal:cbv:disp:stolen", "BizStep"));
    assert_null(epcis_cbv_word("https://example.org/steps/shipping", "BizStep"));
    assert_null(epcis_cbv_word("Shipping", "BizStep"));
    assert_null(epcis_cbv_word("", "BizStep"));
}

static void causes_and_dispositions(void **state)
{
    (void)state;
    static const char *const out[][2] = {{"looted", "stolen"},   {"intercepted", "stolen"},
                                         {"damaged", "damaged"}, {"spoiled", "destroyed"},
                                         {"expired", "expired"}, {"returned", "returned"},
                                         {"other", "unknown"}};
    for (size_t i = 0; i < sizeof out / sizeof *out; i++)
        assert_string_equal(epcis_disposition_of_cause(out[i][0]), out[i][1]);
    /* back: each disposition to one cause, stolen to looted */
    assert_string_equal(epcis_cause_of_disposition("stolen"), "looted");
    assert_string_equal(epcis_cause_of_disposition("destroyed"), "spoiled");
    assert_string_equal(epcis_cause_of_disposition("unknown"), "other");
    for (size_t i = 2; i < sizeof out / sizeof *out; i++)
        assert_string_equal(epcis_cause_of_disposition(out[i][1]), out[i][0]);
    assert_null(epcis_cause_of_disposition("in_progress"));
    assert_null(epcis_disposition_of_cause("lost"));
}

static void units_and_codes(void **state)
{
    (void)state;
    assert_string_equal(epcis_uom_of_unit("kg"), "KGM");
    assert_string_equal(epcis_uom_of_unit("tonne"), "TNE");
    assert_string_equal(epcis_uom_of_unit("litre"), "LTR");
    static const char *const counted[] = {"carton", "pallet", "bag",  "box",
                                          "kit",    "unit",   "dose", "parcel"};
    for (size_t i = 0; i < sizeof counted / sizeof *counted; i++)
        assert_null(epcis_uom_of_unit(counted[i]));
    assert_string_equal(epcis_unit_of_uom("KGM"), "kg");
    assert_string_equal(epcis_unit_of_uom("TNE"), "tonne");
    assert_string_equal(epcis_unit_of_uom("LTR"), "litre");
    assert_null(epcis_unit_of_uom("BX"));
    assert_null(epcis_unit_of_uom("kgm"));
}

static void base_of_identifiers(void **state)
{
    (void)state;
    cm_buf b = CM_BUF_INIT;
    epcis_base(&b, "cmcc.example.org/log");
    assert_string_equal(b.data, "https://cmcc.example.org/log");
    buf_reset(&b);
    epcis_base(&b, "odd origin/\"x\"#1");
    assert_string_equal(b.data, "https://odd%20origin/%22x%22%231");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_type_has_one_step_and_back),
        cmocka_unit_test(cbv_words_in_three_forms),
        cmocka_unit_test(causes_and_dispositions),
        cmocka_unit_test(units_and_codes),
        cmocka_unit_test(base_of_identifiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
