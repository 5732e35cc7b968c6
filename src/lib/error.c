#include "stdtax/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *text;
} error_texts[] = {
    {STDTAX_OK, "success"},
    {STDTAX_ENOMEM, "out of memory"},
    {STDTAX_EINVAL, "invalid content"},
    {STDTAX_EUTF8, "invalid UTF-8"},
    {STDTAX_EPARSE, "unparsable input"},
    {STDTAX_ENOTFOUND, "not found"},
    {STDTAX_ECONFLICT, "conflict"},
    {STDTAX_EIO, "input/output error"},
    {STDTAX_ETOOBIG, "too large"},
    {STDTAX_ESTORE, "store error"},
    {STDTAX_ELATE, "after the deadline"},
    {STDTAX_EVERSION, "version mismatch"},
    {STDTAX_ENOSPC, "no space left on device"},
    {STDTAX_EEMPTY, "empty text"},
    {STDTAX_EFORBIDDEN, "forbidden"},
    {STDTAX_ETYPE, "file type not accepted"},
};

const char *stdtax_strerror(int err)
{
    for (size_t i = 0; i < sizeof error_texts / sizeof error_texts[0]; i++)
        if (error_texts[i].code == err)
            return error_texts[i].text;
    return "unknown error";
}

int stdtax_error_set(struct stdtax_error *err, int code, const char *field,
                     const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return code;
}

int stdtax_problem_add(json_t *problems, const char *field, const char *fmt, ...)
{
    char text[STDTAX_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_t *problem =
        json_pack("{s:s, s:s}", "pointer", field ? field : "", "detail", text);
    if (!problem || json_array_append_new(problems, problem) != 0)
        return STDTAX_ENOMEM;
    return 0;
}
