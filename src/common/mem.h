/*
 * mem.h: the one out-of-memory policy of cmcc.
 *
 * Every heap allocation goes through these wrappers. On failure they print a
 * message to stderr and abort: the server's state is on disk and committed
 * before any answer, so dying is safe, and no caller handles allocation
 * failure case by case.
 */
#ifndef CM_MEM_H
#define CM_MEM_H

#include <stddef.h>

/* All return memory the caller owns and frees with free(). Never NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
