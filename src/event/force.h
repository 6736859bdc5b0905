/*
 * force.h: the caveat table of force generation (force.c), which the rules
 * keep and the gap analysis reads when requirements are read
 * (src/views/force.c): the caveats a pledge may carry and, beside each in
 * the same order, the tasks it excludes (sector_restricted excludes
 * requirements outside the pledge's sectors instead).
 */
#ifndef CMCC_EVENT_FORCE_H
#define CMCC_EVENT_FORCE_H

/* The caveat names, NULL-ended (docs/protocol.md section 3). */
extern const char *const ev_caveats[];
/* Beside each caveat, the tasks it excludes, NULL-ended (at most 2). */
extern const char *const ev_caveat_excludes[][3];

#endif
