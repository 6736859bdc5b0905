/*
 * report_csv.c: the CSV form of `cmcc report supply|force|disarmament`,
 * in HXL's long ("indicator") form, as the server's CSV exports
 * (docs/protocol.md, "CSV exports").
 *
 * A header row (a heading a person reads), an HXL hashtag row of core
 * hashtags and attributes only, then, for each row of the report, a CSV
 * row per figure: the report row's key columns repeated, the figure's code
 * (#indicator+code) and its value (#indicator+num). Each report keeps its
 * own list of keys and codes; this file only writes cells: a cell is
 * quoted when it holds a comma, a quote or a line break (RFC 4180), lines
 * end in CRLF, and a real number is written in the fewest decimals that
 * read back as the same double, never with an exponent, so that the CSV
 * read back gives the JSON's figures exactly.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cell(const char *v, int first)
{
    if (!first) putchar(',');
    if (!v) return;
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, stdout);
        return;
    }
    putchar('"');
    for (const char *p = v; *p; p++) {
        if (*p == '"') putchar('"');
        putchar(*p);
    }
    putchar('"');
}

void report_csv_row(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) cell(cells[i], i == 0);
    fputs("\r\n", stdout);
}

void report_csv_figure(const char *const *keys, size_t nkeys, const char *code, const char *value)
{
    for (size_t i = 0; i < nkeys; i++) cell(keys[i], i == 0);
    cell(code, nkeys == 0);
    cell(value, 0);
    fputs("\r\n", stdout);
}

const char *report_csv_int(long long v, char buf[REPORT_CSV_NUM])
{
    snprintf(buf, REPORT_CSV_NUM, "%lld", v);
    return buf;
}

const char *report_csv_real(double v, char buf[REPORT_CSV_NUM])
{
    for (int decimals = 0; decimals < 40; decimals++) {
        snprintf(buf, REPORT_CSV_NUM, "%.*f", decimals, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}
