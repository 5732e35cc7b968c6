/* /v1/proposals/{id}/materials: the files of a proposal (申报材料, doc/materials.md).
 * Uploads come as the raw body (API_F_RAW_BODY, up to material-max); downloads go out
 * from the file (api_response_file) with the call's file name, the SHA-256 as ETag
 * and single byte ranges. */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stdtax/service_materials.h"

static int upload(struct api_ctx *ctx, const struct api_request *req,
                  struct api_response *resp, bool add)
{
    const struct stdtax_config *cfg = ctx->cfg;
    const char *id = api_param(req, "id"), *kind = api_param(req, "kind");
    if ((strcmp(kind, "other") == 0) != add) {
        json_t *problems = json_array();
        stdtax_problem_add(problems, "/kind", "%s",
                           add ? "POST adds an `other` material; the other kinds are PUT"
                               : "an `other` material is added with POST");
        return api_response_problem(resp, STDTAX_EINVAL, problems,
                                    "%s is not the method for kind %.32s",
                                    add ? "POST" : "PUT", kind);
    }
    struct svc_material_upload up = {.proposal_id = id,
                                     .kind = kind,
                                     .data = req->raw_body,
                                     .len = req->raw_len,
                                     .declared_type = req->content_type,
                                     .max_size = cfg->material_max,
                                     .max_per_proposal = cfg->materials_per_proposal,
                                     .now = time(NULL)};
    struct svc_caller caller = app_caller(req);
    struct stdtax_error err = {0};
    json_t *material;
    bool replaced = false;
    int rc = svc_material_put(app_of(ctx)->svc, &up, &caller, &material, &replaced, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    api_response_header(resp, "Location", "/v1/proposals/%s/materials/%s", id,
                        json_string_value(json_object_get(material, "id")));
    return api_response_json(resp, replaced ? 200 : 201, material);
}

int api_material_put(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    return upload(ctx, req, resp, false);
}

int api_material_post(struct api_ctx *ctx, const struct api_request *req,
                      struct api_response *resp)
{
    return upload(ctx, req, resp, true);
}

int api_materials_list(struct api_ctx *ctx, const struct api_request *req,
                       struct api_response *resp)
{
    struct svc_caller caller = app_caller(req);
    struct stdtax_error err = {0};
    json_t *out;
    int rc =
        svc_material_list(app_of(ctx)->svc, api_param(req, "id"), &caller, &out, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_json(resp, 200, out);
}

/* RFC 5987 attr-char: what may stand unescaped in filename*. */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$&+-.^_`|~", c) != NULL;
}

/* Content-Disposition (RFC 6266): the UTF-8 name as filename* (RFC 5987), which
 * browsers prefer, and the same UTF-8 bytes in filename, because curl -OJ and other
 * clients read only filename and save its bytes as they are (an ASCII-only filename
 * would lose the Chinese name there).  material_file_name has made '"', '\\' and
 * control characters '_', so the quoted string needs no escapes. */
static void disposition_set(struct api_response *resp, const char *name)
{
    char enc[3 * 768 + 1];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < sizeof enc;
         p++) {
        if (attr_char(*p))
            enc[n++] = (char)*p;
        else
            n += (size_t)snprintf(enc + n, sizeof enc - n, "%%%02X", *p);
    }
    enc[n] = '\0';
    api_response_header(resp, "Content-Disposition",
                        "attachment; filename=\"%s\"; filename*=UTF-8''%s", name, enc);
}

/* One range of bytes=a-b, bytes=a- or bytes=-n against size: true with [*from, *to]
 * when satisfiable; *ignore for what is not a single byte range (answered whole). */
static bool range_parse(const char *h, long long size, long long *from, long long *to,
                        bool *ignore)
{
    *ignore = true;
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return false;
    const char *p = h + 6;
    char *end;
    *ignore = false;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (*end || end == p + 1) {
            *ignore = true; /* not a range at all: the whole file */
            return false;
        }
        if (n <= 0)
            return false;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return size > 0;
    }
    long long a = strtoll(p, &end, 10), b = size - 1;
    if (end == p || *end != '-' || a < 0) {
        *ignore = true;
        return false;
    }
    const char *q = end + 1;
    if (*q) {
        b = strtoll(q, &end, 10);
        if (*end || b < a) {
            *ignore = true;
            return false;
        }
    }
    if (a >= size)
        return false;
    *from = a;
    *to = b >= size ? size - 1 : b;
    return true;
}

int api_material_get(struct api_ctx *ctx, const struct api_request *req,
                     struct api_response *resp)
{
    struct svc_caller caller = app_caller(req);
    struct stdtax_error err = {0};
    const char *id = api_param(req, "id"), *slot = api_param(req, "kind");
    json_t *m;
    int fd;
    off_t size;
    char name[768];
    int rc = svc_material_open(app_of(ctx)->svc, id, slot, &caller, &m, &fd, &size, name,
                               sizeof name, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s\"",
             json_string_value(json_object_get(m, "sha256")));
    /* The media type from the table of accepted types: static, unlike the record's. */
    const struct material_type *type =
        material_type_find(json_string_value(json_object_get(m, "media_type")));
    json_decref(m);
    api_response_header(resp, "ETag", "%s", etag);
    api_response_header(resp, "Cache-Control", "private, no-cache");
    if (req->if_none_match && api_etag_match(req->if_none_match, etag)) {
        close(fd);
        return api_response_raw(resp, 304, NULL, NULL, 0);
    }
    api_response_header(resp, "Accept-Ranges", "bytes");
    long long from = 0, to = (long long)size - 1;
    bool ignore;
    bool partial = range_parse(req->range, (long long)size, &from, &to, &ignore);
    if (!partial && !ignore) {
        close(fd);
        api_response_header(resp, "Content-Range", "bytes */%lld", (long long)size);
        return api_response_raw(resp, 416, NULL, NULL, 0);
    }
    disposition_set(resp, name);
    if (partial)
        api_response_header(resp, "Content-Range", "bytes %lld-%lld/%lld", from, to,
                            (long long)size);
    return api_response_file(resp, partial ? 206 : 200,
                             type ? type->media_type : "application/octet-stream", fd,
                             from, to - from + 1);
}

int api_material_delete(struct api_ctx *ctx, const struct api_request *req,
                        struct api_response *resp)
{
    struct svc_caller caller = app_caller(req);
    struct stdtax_error err = {0};
    int rc = svc_material_delete(app_of(ctx)->svc, api_param(req, "id"),
                                 api_param(req, "kind"), &caller, &err);
    if (rc)
        return app_problem(resp, rc, NULL, &err);
    return api_response_raw(resp, 204, NULL, NULL, 0);
}
