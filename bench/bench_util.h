/*
 * bench_util.h: small helpers shared by cmcc-bench and cmcc-biglog
 * (bench_util.c): deterministic randomness, latency quantiles, and the
 * events' time stamp.
 */
#ifndef CMCC_BENCH_UTIL_H
#define CMCC_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A 64-bit mixing function (splitmix64's finalizer): the workload's and the
 * bench's deterministic randomness. */
uint64_t bench_mix64(uint64_t x);

/* Sorts n doubles in place, ascending. */
void bench_sort(double *v, size_t n);
/* The q-quantile (0..1) of n sorted values, the nearest rank; 0 when n is 0. */
double bench_quantile(const double *sorted, size_t n, double q);
/* A minute ago as the protocol's time text (RFC 3339, seconds): the time
 * every generated event carries, safely in the server's past. */
void bench_minute_ago(char *out, size_t cap);

#endif
