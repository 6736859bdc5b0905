/*
 * tak_package.c: the deconfliction picture as a TAK data package (GET
 * /v1/tak/package.zip), which ATAK, WinTAK and iTAK import offline: a zip
 * (libzip, made in memory) holding
 *
 *   MANIFEST/manifest.xml
 *     <MissionPackageManifest version="2">
 *       <Configuration>
 *         <Parameter name="uid" value="<origin>/tak-package"/>
 *         <Parameter name="name" value="cmcc <origin>"/>
 *         <Parameter name="onReceiveDelete" value="false"/>
 *       </Configuration>
 *       <Contents>
 *         <Content ignore="false" zipEntry="cot/site-<id>.cot">
 *           <Parameter name="uid" value="<the event's uid>"/></Content> ...
 *       </Contents>
 *     </MissionPackageManifest>
 *   cot/<kind>-<id>[.deleted].cot   one CoT event each (cot.c), with its
 *                                    XML declaration
 *
 * Every file is dated 1 January 1980 (the zip format's first day), so the
 * same picture makes the same bytes, and the same ETag.
 */
#include "views/views.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define ZIP_EPOCH 315532800 /* 1980-01-01T00:00:00Z */

static const char cot_head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

static void xml_attr(cm_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            buf_puts(b, "&amp;");
        else if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '"')
            buf_puts(b, "&quot;");
        else
            buf_putc(b, *s);
    }
}

static void manifest(const json_t *events, const char *origin, cm_buf *m)
{
    buf_puts(m, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MissionPackageManifest "
                "version=\"2\">\n<Configuration>\n<Parameter name=\"uid\" value=\"");
    xml_attr(m, origin);
    buf_puts(m, "/tak-package\"/>\n<Parameter name=\"name\" value=\"cmcc ");
    xml_attr(m, origin);
    buf_puts(m, "\"/>\n<Parameter name=\"onReceiveDelete\" value=\"false\"/>\n"
                "</Configuration>\n<Contents>\n");
    for (size_t i = 0; i < json_array_size(events); i++) {
        const json_t *e = json_array_get(events, i);
        buf_puts(m, "<Content ignore=\"false\" zipEntry=\"");
        xml_attr(m, json_string_value(json_object_get(e, "file")));
        buf_puts(m, "\"><Parameter name=\"uid\" value=\"");
        xml_attr(m, json_string_value(json_object_get(e, "uid")));
        buf_puts(m, "\"/></Content>\n");
    }
    buf_puts(m, "</Contents>\n</MissionPackageManifest>\n");
}

/* Adds data (kept alive by the caller until zip_close) as name. */
static int add_file(zip_t *za, const char *name, const char *data, size_t len)
{
    zip_source_t *fs = zip_source_buffer(za, data, len, 0);
    if (!fs) return -1;
    zip_int64_t idx = zip_file_add(za, name, fs, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(fs);
        return -1;
    }
    return zip_file_set_mtime(za, (zip_uint64_t)idx, ZIP_EPOCH, 0);
}

/* The bytes of the in-memory zip src, appended to out. */
static int read_all(zip_source_t *src, cm_buf *out)
{
    if (zip_source_open(src) < 0) return -1;
    int rc = -1;
    if (zip_source_seek(src, 0, SEEK_END) == 0) {
        zip_int64_t size = zip_source_tell(src);
        if (size >= 0 && zip_source_seek(src, 0, SEEK_SET) == 0) {
            buf_reserve(out, (size_t)size);
            zip_int64_t got = zip_source_read(src, out->data + out->len, (zip_uint64_t)size);
            if (got == size) {
                out->len += (size_t)size;
                out->data[out->len] = '\0';
                rc = 0;
            }
        }
    }
    zip_source_close(src);
    return rc;
}

int views_tak_package(const json_t *events, const char *origin, cm_buf *out, cm_error *err)
{
    size_t n = json_array_size(events);
    cm_buf m = CM_BUF_INIT;
    manifest(events, origin, &m);
    cm_buf *files = xcalloc(n ? n : 1, sizeof *files);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = NULL;
    int rc = -1;
    if (!src) goto done;
    za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (!za) goto done;   /* src is still ours, freed below */
    zip_source_keep(src); /* kept past zip_close, to be read */
    if (add_file(za, "MANIFEST/manifest.xml", m.data, m.len)) goto done;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(events, i);
        buf_puts(&files[i], cot_head);
        buf_puts(&files[i], json_string_value(json_object_get(e, "xml")));
        buf_putc(&files[i], '\n');
        if (add_file(za, json_string_value(json_object_get(e, "file")), files[i].data,
                     files[i].len))
            goto done;
    }
    if (zip_close(za) < 0) goto done;
    za = NULL;
    rc = read_all(src, out);
done:
    if (za) zip_discard(za);
    if (src) zip_source_free(src);
    for (size_t i = 0; i < n; i++) buf_free(&files[i]);
    free(files);
    buf_free(&m);
    zip_error_fini(&ze);
    if (rc) cm_fail(err, CM_INTERNAL, "", "the TAK data package could not be made in memory");
    return rc;
}
