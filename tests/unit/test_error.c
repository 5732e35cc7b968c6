#include <criterion/criterion.h>
#include <string.h>

#include "stdtax/error.h"

Test(error, strerror_names_every_code)
{
    for (int code = STDTAX_OK; code >= STDTAX_EFORBIDDEN; code--)
        cr_expect_str_neq(stdtax_strerror(code), "unknown error", "code %d", code);
    cr_expect_str_eq(stdtax_strerror(-999), "unknown error");
}

Test(error, set_fills_and_returns_code)
{
    struct stdtax_error err;
    int rc = stdtax_error_set(&err, STDTAX_EINVAL, "/title", "too long: %d bytes", 700);
    cr_expect_eq(rc, STDTAX_EINVAL);
    cr_expect_str_eq(err.field, "/title");
    cr_expect_str_eq(err.text, "too long: 700 bytes");
    cr_expect_eq(stdtax_error_set(NULL, STDTAX_EIO, NULL, "x"), STDTAX_EIO);
}

Test(error, problem_add_appends_pointer_and_detail)
{
    json_t *problems = json_array();
    cr_assert_eq(stdtax_problem_add(problems, "/contacts/0/email", "not an email"), 0);
    cr_assert_eq(json_array_size(problems), 1);
    json_t *p = json_array_get(problems, 0);
    cr_expect_str_eq(json_string_value(json_object_get(p, "pointer")),
                     "/contacts/0/email");
    cr_expect_str_eq(json_string_value(json_object_get(p, "detail")), "not an email");
    json_decref(problems);
}
