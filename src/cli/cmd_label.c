/*
 * cmd_label.c: `cmcc label ID (DIR | --server URL [--token T]) [--out FILE]`:
 * a printable label for a consignment, as SVG.
 *
 * The label carries a QR code of the consignment's label text
 * (docs/protocol.md, "Consignment labels"):
 *
 *     cmcc:consignment:<id>
 *
 * in byte mode, error correction level M, the smallest version that holds
 * it (Debian's libqrencode), and beside it, as text: the id, the crossing,
 * the organization that declared it, the number of lines, and the label
 * text itself for whoever has no scanner. The dashboard's consignment page
 * prints the same code. The consignment is read as GET
 * /v1/consignments/<id> answers it, from a server or from a log
 * directory's store (report_source.c), so an unknown id is refused either
 * way.
 *
 * The drawing, 100 by 50 units of a millimetre each:
 *
 *     +------------------------------------------------+
 *     | +--------------+  c-05-2             (id, bold) |
 *     | |  QR code,    |  Crossing                     |
 *     | |  46 x 46,    |  kerem-shalom                 |
 *     | |  quiet zone  |  Declared by                  |
 *     | |  included    |  relief-a                     |
 *     | |              |  Lines                        |
 *     | |              |  3                            |
 *     | +--------------+  cmcc:consignment:c-05-2      |
 *     +------------------------------------------------+
 *
 * The code is one <path> of its dark modules (each run of dark modules in a
 * row one rectangle), in a nested <svg> whose viewBox is the module grid
 * with 4 modules of quiet zone on each side. A text too long for the 46
 * units right of the code is set smaller.
 */
#include "cli/cli.h"
#include "views/supply.h"

#include "common/buf.h"

#include <errno.h>
#include <getopt.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_PREFIX "cmcc:consignment:"
#define QUIET        4 /* modules of white around the code */

static const char help[] =
    "usage: cmcc label ID (DIR | --server URL [--token T] [--cacert FILE]) [--out FILE.svg]\n\n"
    "Writes a printable label (SVG, 100 x 50 mm) for consignment ID: a QR code of\n"
    "\"cmcc:consignment:ID\" (what the Record page scans), with the id, the crossing,\n"
    "the organization that declared it and its number of lines as text. The\n"
    "consignment is read from the log directory DIR or from a server.\n\n"
    "  --server URL   read from a server (token from --token or $CMCC_TOKEN)\n"
    "  --cacert FILE  trust an https server whose certificate this PEM CA signed\n"
    "  --out FILE     write the SVG to FILE instead of standard output\n";

/* GET /v1/consignments/<id>'s answer, from the log's store. */
static json_t *consignment_local(store *s, const void *ctx, cm_error *err)
{
    const char *id = ctx;
    cm_buf b = CM_BUF_INIT;
    json_t *doc = NULL;
    int found = views_consignment_json(s, id, &b, err);
    if (found == 0)
        cm_fail(err, CM_NOT_FOUND, "id", "no consignment \"%s\" was declared in this log", id);
    else if (found > 0 && !(doc = json_loadb(b.data, b.len, 0, NULL)))
        cm_fail(err, CM_INTERNAL, "", "the consignment \"%s\" cannot be read", id);
    buf_free(&b);
    return doc;
}

/* Appends s with XML's special characters escaped. */
static void xml_text(cm_buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        default:
            buf_putc(out, *s);
        }
    }
}

/* The dark modules of q as an SVG path, shifted by the quiet zone. */
static void modules_path(cm_buf *out, const QRcode *q)
{
    int n = q->width;
    for (int r = 0; r < n; r++) {
        for (int c = 0; c < n;) {
            if (!(q->data[r * n + c] & 1)) {
                c++;
                continue;
            }
            int e = c + 1;
            while (e < n && (q->data[r * n + e] & 1)) e++;
            buf_printf(out, "M%d %dh%dv1h-%dz", c + QUIET, r + QUIET, e - c, e - c);
            c = e;
        }
    }
}

static const char *field(const json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? v : "";
}

/* The font size, at most max, at which n characters of about `em` ems each
 * fit in the 46 units right of the code. */
static double fit(size_t n, double max, double em)
{
    double width = (double)n * em * max;
    return width > 46 ? max * 46 / width : max;
}

/* A name in small grey letters, its value under it. */
static void fact(cm_buf *out, double y, const char *name, const char *value)
{
    buf_printf(out, "  <text x=\"52\" y=\"%.1f\" font-size=\"2.6\" fill=\"#475569\">", y);
    xml_text(out, name);
    buf_printf(out, "</text>\n  <text x=\"52\" y=\"%.1f\" font-size=\"%.2f\">", y + 4.2,
               fit(strlen(value), 3.6, 0.62));
    xml_text(out, value);
    buf_puts(out, "</text>\n");
}

/* The label's SVG for the consignment doc, its QR code q of text. */
static void draw(cm_buf *out, const json_t *doc, const char *text, const QRcode *q)
{
    const char *id = field(doc, "consignment");
    int grid = q->width + 2 * QUIET;
    char lines[32];
    snprintf(lines, sizeof lines, "%zu", json_array_size(json_object_get(doc, "lines")));

    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100mm\" height=\"50mm\" "
                  "viewBox=\"0 0 100 50\" role=\"img\" aria-label=\"Consignment label ");
    xml_text(out, id);
    buf_puts(out, "\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n  <title>Consignment ");
    xml_text(out, id);
    buf_puts(out, "</title>\n  <rect width=\"100\" height=\"50\" fill=\"#fff\"/>\n");
    buf_printf(out,
               "  <svg x=\"2\" y=\"2\" width=\"46\" height=\"46\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\" data-modules=\"%d\" data-version=\"%d\">\n"
               "    <rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n    <path fill=\"#000\" d=\"",
               grid, grid, q->width, q->version, grid, grid);
    modules_path(out, q);
    buf_puts(out, "\"/>\n  </svg>\n");
    buf_printf(out, "  <text x=\"52\" y=\"10\" font-size=\"%.2f\" font-weight=\"bold\">",
               fit(strlen(id), 6.5, 0.65));
    xml_text(out, id);
    buf_puts(out, "</text>\n");
    fact(out, 16, "Crossing", field(doc, "crossing"));
    fact(out, 25, "Declared by", field(doc, "declared_by"));
    fact(out, 34, "Lines", lines);
    buf_printf(out,
               "  <text x=\"52\" y=\"46\" font-size=\"%.2f\" "
               "font-family=\"DejaVu Sans Mono, monospace\">",
               fit(strlen(text), 2.6, 0.61));
    xml_text(out, text);
    buf_puts(out, "</text>\n</svg>\n");
}

static int write_out(const char *path, const cm_buf *b)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) return cli_errorf("label", "cannot write %s: %s", path, strerror(errno)), -1;
    int bad = fwrite(b->data, 1, b->len, f) != b->len;
    bad |= path ? fclose(f) != 0 : fflush(f) != 0;
    if (bad) return cli_errorf("label", "cannot write %s", path ? path : "the output"), -1;
    return 0;
}

int cmd_label(int argc, char **argv)
{
    const char *server = NULL, *token = getenv("CMCC_TOKEN"), *cacert = getenv("CMCC_CACERT");
    const char *out = NULL;
    const cli_option opts[] = {CLI_ARG("server", &server), CLI_ARG("token", &token),
                               CLI_ARG("cacert", &cacert), CLI_ARG("out", &out), CLI_OPTIONS_END};
    int status = cli_options(argc, argv, opts, help);
    if (status >= 0) return status;
    int rest = argc - optind;
    if (rest < 1 || rest > 2 || (rest == 2) == (server != NULL)) return fputs(help, stderr), 2;
    const char *id = argv[optind], *dir = rest == 2 ? argv[optind + 1] : NULL;
    if (!ev_is_id(id))
        return cli_errorf("label",
                          "\"%s\" is not a consignment id: up to %d letters, digits, '.', "
                          "'_', ':' or '-', starting with a letter or digit",
                          id, EV_ID_MAX),
               2;

    const report_source src = {
        .dir = dir, .server = server, .token = token, .cacert = cacert, .cmd = "label"};
    char path[sizeof "/v1/consignments/" + EV_ID_MAX];
    snprintf(path, sizeof path, "/v1/consignments/%s", id);
    json_t *doc;
    if (report_fetch(&src, path, consignment_local, id, &doc)) return 1;
    if (!json_is_object(doc) || strcmp(field(doc, "consignment"), id) != 0) {
        json_decref(doc);
        return cli_errorf("label", "the answer to GET %s is not consignment \"%s\"", path, id), 1;
    }

    char text[sizeof LABEL_PREFIX + EV_ID_MAX];
    snprintf(text, sizeof text, "%s%s", LABEL_PREFIX, id);
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q) {
        json_decref(doc);
        return cli_errorf("label", "cannot make the QR code of %s: %s", text, strerror(errno)), 2;
    }
    cm_buf svg = CM_BUF_INIT;
    draw(&svg, doc, text, q);
    QRcode_free(q);
    json_decref(doc);
    int rc = write_out(out, &svg);
    buf_free(&svg);
    return rc ? 1 : 0;
}
