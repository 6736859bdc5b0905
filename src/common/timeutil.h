/*
 * timeutil.h: RFC 3339 UTC times, as the protocol writes them.
 *
 * Times are kept as milliseconds since the Unix epoch (int64). The parser
 * takes exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z (a "Z" offset, nothing else),
 * checks every field's range including the days of the month, and keeps the
 * fraction to the millisecond. Beside them, the clocks: the wall clock and
 * a monotonic one in milliseconds, and a deadline as a condition variable's
 * timed wait takes it.
 */
#ifndef CM_TIMEUTIL_H
#define CM_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TIME_RFC3339_MS_LEN 24 /* "2025-11-20T09:15:00.123Z" */

/* Parses an RFC 3339 UTC time of len bytes. Returns 0 and *ms, or -1. */
int time_parse(const char *s, size_t len, int64_t *ms);

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). */
void time_format_ms(int64_t ms, char *out, size_t cap);
/* Formats ms as "YYYY-MM-DDTHH:MM:SSZ" (whole seconds) into out. */
void time_format_s(int64_t ms, char *out, size_t cap);

/* The wall clock, in milliseconds since the epoch. */
int64_t time_now_ms(void);
/* A monotonic clock, in milliseconds, for intervals. */
int64_t time_mono_ms(void);
/* The time ms milliseconds (0 when negative) from now on clock, as
 * pthread_cond_timedwait takes it: CLOCK_MONOTONIC for a condition made
 * with pthread_condattr_setclock(CLOCK_MONOTONIC), else CLOCK_REALTIME. */
struct timespec time_deadline(clockid_t clock, int64_t ms);

#endif
