/*
 * bench_util.c: the helpers of bench_util.h. Quantiles take the nearest
 * rank of the sorted values, rounding (n - 1) q to the nearest index.
 */
#include "bench_util.h"

#include "common/timeutil.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

uint64_t bench_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

void bench_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
}

double bench_quantile(const double *sorted, size_t n, double q)
{
    if (n == 0) return 0;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

void bench_minute_ago(char *out, size_t cap)
{
    time_format_s(time_now_ms() - 60000, out, cap);
}
