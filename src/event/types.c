/*
 * types.c: the table of event types the log accepts. Each domain file
 * defines its types (name, roles, body fields, rule); this is the one list
 * of them, searched by name.
 */
#include "event/event.h"
#include "event/schema.h"

#include <string.h>

static const ev_type *const all[] = {
    &ev_org_admit,
    &ev_org_suspend,
    &ev_org_reinstate,
    &ev_key_add,
    &ev_key_revoke,
    &ev_place_define,
    &ev_place_status,
    &ev_consignment_declare,
    &ev_consignment_screen,
    &ev_consignment_enter,
    &ev_custody_transfer,
    &ev_custody_accept,
    &ev_custody_reject,
    &ev_distribution_record,
    &ev_loss_report,
    /* deconfliction and incidents */
    &ev_site_notify,
    &ev_site_withdraw,
    &ev_zone_declare,
    &ev_zone_lift,
    &ev_movement_request,
    &ev_movement_respond,
    &ev_movement_report,
    &ev_incident_report,
    &ev_incident_assess,
    /* force generation and disarmament */
    &ev_requirement_define,
    &ev_pledge_offer,
    &ev_pledge_update,
    &ev_pledge_withdraw,
    &ev_deployment_report,
    &ev_weapon_handover,
    &ev_weapon_attest,
    &ev_weapon_move,
    &ev_weapon_destroy,
    &ev_benchmark_define,
    &ev_benchmark_assess,
    /* alert follow-up */
    &ev_alert_acknowledge,
    &ev_alert_assign,
    &ev_alert_resolve,
    NULL,
};

const ev_type *ev_type_find(const char *name)
{
    for (size_t i = 0; all[i]; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}

const ev_type *const *ev_types(void)
{
    return all;
}
