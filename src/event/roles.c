/*
 * roles.c: the eight roles of docs/protocol.md section 1, as bits. The order of
 * the table is the protocol's, and is the order names are written in.
 */
#include "event/event.h"

#include <string.h>

static const char *const names[ROLE_COUNT] = {
    "coordinator", "humanitarian", "inspector", "transporter",
    "military",    "contributor",  "verifier",  "monitor",
};

unsigned ev_role_parse(const char *name)
{
    for (unsigned i = 0; i < ROLE_COUNT; i++)
        if (strcmp(name, names[i]) == 0) return 1u << i;
    return 0;
}

void ev_roles_json(unsigned roles, cm_buf *out)
{
    buf_putc(out, '[');
    int first = 1;
    for (unsigned i = 0; i < ROLE_COUNT; i++) {
        if (!(roles & (1u << i))) continue;
        if (!first) buf_putc(out, ',');
        buf_json_str(out, names[i]);
        first = 0;
    }
    buf_putc(out, ']');
}

void ev_roles_text(unsigned roles, cm_buf *out)
{
    int first = 1;
    for (unsigned i = 0; i < ROLE_COUNT; i++) {
        if (!(roles & (1u << i))) continue;
        if (!first) buf_putc(out, ',');
        buf_puts(out, names[i]);
        first = 0;
    }
}

unsigned ev_roles_from_text(const char *text)
{
    unsigned roles = 0;
    char word[32];
    while (*text) {
        size_t n = strcspn(text, ",");
        if (n < sizeof word) {
            memcpy(word, text, n);
            word[n] = '\0';
            roles |= ev_role_parse(word);
        }
        text += n;
        if (*text == ',') text++;
    }
    return roles;
}
