/* Materials: kinds, types by magic bytes, download names (material.h). */
#include "stdtax/material.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *code, *label;
} kinds[MATERIAL_KINDS] = {
    [MATERIAL_FORM_SCAN] = {"form-scan", "建议书"},
    [MATERIAL_DRAFT] = {"draft", "草案"},
    [MATERIAL_IP_PROOF] = {"ip-proof", "知识产权证明"},
    [MATERIAL_OTHER] = {"other", "其他"},
};

const char *material_kind_code(enum material_kind kind)
{
    return kind < MATERIAL_KINDS ? kinds[kind].code : "?";
}

const char *material_kind_label(enum material_kind kind)
{
    return kind < MATERIAL_KINDS ? kinds[kind].label : "?";
}

int material_kind_parse(const char *code)
{
    for (int k = 0; code && k < MATERIAL_KINDS; k++)
        if (strcmp(code, kinds[k].code) == 0)
            return k;
    return -1;
}

int material_slot_kind(const char *slot)
{
    if (!slot)
        return -1;
    if (strncmp(slot, "other-", 6) != 0)
        return material_kind_parse(slot);
    const char *n = slot + 6;
    size_t len = strlen(n);
    if (len == 0 || len > 9 || n[0] == '0' || strspn(n, "0123456789") != len)
        return -1;
    return MATERIAL_OTHER;
}

bool material_complete(const char *const *slots, size_t n)
{
    bool form = false, draft = false;
    for (size_t i = 0; i < n; i++) {
        int k = material_slot_kind(slots[i]);
        form |= k == MATERIAL_FORM_SCAN;
        draft |= k == MATERIAL_DRAFT;
    }
    return form && draft;
}

/* --- types ------------------------------------------------------------------- */

enum { T_PDF, T_DOCX, T_DOC, T_OFD, T_JPEG, T_PNG };

static const struct material_type types[] = {
    [T_PDF] = {"PDF", "application/pdf", ".pdf"},
    [T_DOCX] = {"DOCX",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".docx"},
    [T_DOC] = {"DOC", "application/msword", ".doc"},
    [T_OFD] = {"OFD", "application/ofd", ".ofd"},
    [T_JPEG] = {"JPEG", "image/jpeg", ".jpg"},
    [T_PNG] = {"PNG", "image/png", ".png"},
};

static const struct {
    const char *magic;
    size_t len;
    int type; /* -1: a ZIP container, decided by its names */
} magics[] = {
    {"%PDF-", 5, T_PDF},
    {"\x89PNG\r\n\x1a\n", 8, T_PNG},
    {"\xff\xd8\xff", 3, T_JPEG},
    {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, T_DOC}, /* OLE2 compound file */
    {"PK\x03\x04", 4, -1},
};

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

/* DOCX or OFD from the names of the central directory (APPNOTE 4.3.12, 4.3.16), or
 * -1.  Every offset is checked against len: the bytes are the sender's. */
static int zip_type(const unsigned char *d, size_t len)
{
    if (len < 22)
        return -1;
    size_t floor = len > 22 + 65535 ? len - 22 - 65535 : 0;
    size_t eocd = len - 22;
    while (memcmp(d + eocd, "PK\x05\x06", 4) != 0) {
        if (eocd == floor)
            return -1;
        eocd--;
    }
    size_t n = le16(d + eocd + 10), off = le32(d + eocd + 16);
    bool content_types = false, word = false, ofd = false;
    for (size_t i = 0; i < n; i++) {
        if (off > len || len - off < 46 || memcmp(d + off, "PK\x01\x02", 4) != 0)
            return -1;
        size_t name_len = le16(d + off + 28);
        size_t rest = name_len + le16(d + off + 30) + le16(d + off + 32);
        if (len - off - 46 < rest)
            return -1;
        const char *name = (const char *)d + off + 46;
        content_types |= name_len == 19 && memcmp(name, "[Content_Types].xml", 19) == 0;
        word |= name_len > 5 && memcmp(name, "word/", 5) == 0;
        ofd |= name_len == 7 && memcmp(name, "OFD.xml", 7) == 0;
        off += 46 + rest;
    }
    if (content_types && word)
        return T_DOCX;
    return ofd ? T_OFD : -1;
}

const struct material_type *material_type_sniff(const unsigned char *data, size_t len)
{
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        if (len < magics[i].len || memcmp(data, magics[i].magic, magics[i].len) != 0)
            continue;
        int t = magics[i].type >= 0 ? magics[i].type : zip_type(data, len);
        return t >= 0 ? &types[t] : NULL;
    }
    return NULL;
}

const struct material_type *material_type_find(const char *media_type)
{
    for (size_t i = 0; media_type && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].media_type, media_type) == 0)
            return &types[i];
    return NULL;
}

bool material_type_declared_ok(const struct material_type *type, const char *declared)
{
    if (!declared)
        return true;
    size_t n = strcspn(declared, ";");
    while (n && (declared[n - 1] == ' ' || declared[n - 1] == '\t'))
        n--;
    static const char generic[] = "application/octet-stream";
    if (n == sizeof generic - 1 && strncasecmp(declared, generic, n) == 0)
        return true;
    return strlen(type->media_type) == n &&
           strncasecmp(declared, type->media_type, n) == 0;
}

/* --- names ------------------------------------------------------------------- */

struct name_out {
    char *out;
    size_t size, len;
    bool full;
};

/* Appends s, whole UTF-8 sequences only (the record's text is valid UTF-8), with
 * the bytes no file system takes as '_'; stops for good when the room is used up. */
static void name_add(struct name_out *o, const char *s)
{
    size_t n;
    for (const unsigned char *p = (const unsigned char *)s; *p && !o->full; p += n) {
        n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
        if (strnlen((const char *)p, n) < n)
            break;
        if (o->len + n >= o->size) {
            o->full = true;
            break;
        }
        if (n == 1 && (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == '"'))
            o->out[o->len++] = '_';
        else
            memcpy(o->out + o->len, p, n), o->len += n;
    }
    o->out[o->len] = '\0';
}

size_t material_file_name(const char *organisation, const char *title, const char *track,
                          enum material_kind kind, const char *ext, char *out,
                          size_t size)
{
    if (size == 0)
        return 0;
    const char *track_name = track && strcmp(track, "group") == 0 ? "团标" : "地标";
    char tail[64];
    snprintf(tail, sizeof tail, "%s-%s%s", track_name, material_kind_label(kind),
             ext ? ext : "");
    size_t room = size > strlen(tail) ? size - strlen(tail) : 1;
    struct name_out o = {out, room, 0, false};
    out[0] = '\0';
    const char *parts[] = {organisation, title};
    for (size_t i = 0; i < 2; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        name_add(&o, parts[i]);
        name_add(&o, "-");
    }
    o.size = size;
    o.full = false;
    name_add(&o, tail);
    return o.len;
}
