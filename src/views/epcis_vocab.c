/*
 * epcis_vocab.c: the words cmcc and EPCIS 2.0 share, both ways
 * (docs/protocol.md, "EPCIS 2.0"):
 *
 *   cmcc type             action   CBV bizStep     CBV disposition
 *   consignment.declare   ADD      commissioning   active
 *   consignment.screen    OBSERVE  inspecting      conformant | non_conformant
 *   consignment.enter     OBSERVE  arriving        in_transit
 *   custody.transfer      OBSERVE  shipping        in_transit
 *   custody.accept        OBSERVE  receiving       in_progress
 *   custody.reject        OBSERVE  void_shipping   returned
 *   distribution.record   OBSERVE  dispensing      dispensed
 *   loss.report           OBSERVE  other           by cause (below)
 *
 * A loss's cause and its disposition: looted and intercepted are stolen,
 * damaged damaged, spoiled destroyed, expired expired, returned returned,
 * other unknown; read back, stolen is looted. Units measured by weight or
 * volume carry their UN/ECE Recommendation 20 code (kg KGM, tonne TNE,
 * litre LTR); the others are counts of instances, with no uom.
 */
#include "views/epcis.h"

#include <string.h>

static const epcis_step steps[] = {
    {"consignment.declare", "ADD", "commissioning", "active"},
    {"consignment.screen", "OBSERVE", "inspecting", NULL},
    {"consignment.enter", "OBSERVE", "arriving", "in_transit"},
    {"custody.transfer", "OBSERVE", "shipping", "in_transit"},
    {"custody.accept", "OBSERVE", "receiving", "in_progress"},
    {"custody.reject", "OBSERVE", "void_shipping", "returned"},
    {"distribution.record", "OBSERVE", "dispensing", "dispensed"},
    {"loss.report", "OBSERVE", "other", NULL},
    {NULL, NULL, NULL, NULL},
};

const epcis_step *epcis_steps(void)
{
    return steps;
}

const epcis_step *epcis_step_of_type(const char *type)
{
    for (const epcis_step *s = steps; s->type; s++)
        if (strcmp(s->type, type) == 0) return s;
    return NULL;
}

const epcis_step *epcis_step_of_biz_step(const char *biz_step)
{
    for (const epcis_step *s = steps; s->type; s++)
        if (strcmp(s->biz_step, biz_step) == 0) return s;
    return NULL;
}

const char *epcis_cbv_word(const char *s, const char *kind)
{
    static const char gs1[] = "https://ref.gs1.org/cbv/";
    static const char urn[] = "urn:epcglobal:cbv:";
    size_t k = strlen(kind);
    if (strncmp(s, gs1, sizeof gs1 - 1) == 0) {
        s += sizeof gs1 - 1;
        if (strncmp(s, kind, k) != 0 || s[k] != '-') return NULL;
        return s + k + 1;
    }
    if (strncmp(s, urn, sizeof urn - 1) == 0) {
        s += sizeof urn - 1;
        const char *lower = strcmp(kind, "BizStep") == 0 ? "bizstep" : "disp";
        size_t n = strlen(lower);
        if (strncmp(s, lower, n) != 0 || s[n] != ':') return NULL;
        return s + n + 1;
    }
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_')) return NULL;
    return *s ? s : NULL;
}

static const char *const causes[][2] = {
    {"looted", "stolen"},   {"intercepted", "stolen"},
    {"damaged", "damaged"}, {"spoiled", "destroyed"},
    {"expired", "expired"}, {"returned", "returned"},
    {"other", "unknown"},   {NULL, NULL},
};

const char *epcis_disposition_of_cause(const char *cause)
{
    for (size_t i = 0; causes[i][0]; i++)
        if (strcmp(causes[i][0], cause) == 0) return causes[i][1];
    return NULL;
}

const char *epcis_cause_of_disposition(const char *disposition)
{
    for (size_t i = 0; causes[i][0]; i++) /* the first cause of each: stolen is looted */
        if (strcmp(causes[i][1], disposition) == 0) return causes[i][0];
    return NULL;
}

static const char *const uoms[][2] = {
    {"kg", "KGM"}, {"tonne", "TNE"}, {"litre", "LTR"}, {NULL, NULL}};

const char *epcis_uom_of_unit(const char *unit)
{
    for (size_t i = 0; uoms[i][0]; i++)
        if (strcmp(uoms[i][0], unit) == 0) return uoms[i][1];
    return NULL;
}

const char *epcis_unit_of_uom(const char *uom)
{
    for (size_t i = 0; uoms[i][0]; i++)
        if (strcmp(uoms[i][1], uom) == 0) return uoms[i][0];
    return NULL;
}

void epcis_base(cm_buf *out, const char *origin)
{
    static const char keep[] = "-._~/:@!$&'()*+,;=";
    buf_puts(out, "https://");
    for (const unsigned char *p = (const unsigned char *)origin; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            (*p && strchr(keep, *p)))
            buf_putc(out, (char)*p);
        else
            buf_printf(out, "%%%02X", *p);
    }
}
