/*
 * limits.h: the sizes events are held to, and how cmcc writes the JSON it
 * builds. Shared by the event, store and server folders.
 */
#ifndef CMCC_EVENT_LIMITS_H
#define CMCC_EVENT_LIMITS_H

#include <jansson.h>

#define EV_PAYLOAD_MAX  32768              /* bytes of event JSON */
#define EV_ENTRY_MAX    65535              /* bytes of one log entry */
#define EV_ID_MAX       64                 /* characters of an identifier */
#define EV_MAX_DEPTH    16                 /* JSON nesting */
#define EV_FUTURE_MS    300000             /* how far ahead of the server an event may be */
#define EV_QUANTITY_MAX 9007199254740992LL /* 2^53 */
/* How cmcc writes JSON it builds: compact, and numbers with 15 significant
 * digits, which gives back the decimals people write (31.2286, not
 * 31.228599999999997). */
#define EV_JSON_OUT (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Ledger accounts of a consignment line (docs/protocol.md section 3, Supply). */
#define EV_ACCOUNT_MAX 80
#define EV_LINES_MAX   500 /* lines of a consignment, and of any one movement */

#endif
