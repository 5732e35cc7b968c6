/* libFuzzer target for the proposal validator: a JSON text as a client would POST it
 * goes through the daemon's parse flags, prop_submission_validate with the 2023 call's
 * deadlines, and, when valid, the record builder, the export name and the CSV writer.
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "stdtax/proposal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct prop_rules rules;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct stdtax_error err;
    /* 2023-09-12T23:59:59+08:00 and 2023-10-31T23:59:59+08:00, as the taxonomy file. */
    if (prop_rules_call_add(&rules, "2023", 1694534399, 1698767999, &err) != 0)
        return 1;
    devnull = fopen("/dev/null", "w");
    return devnull ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *sub = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!sub)
        return 0;
    json_t *problems = json_array();
    int rc = prop_submission_validate(sub, &rules, problems);
    /* The contract: problems iff EINVAL, and never more than the cap plus one. */
    if ((rc == 0) != (json_array_size(problems) == 0) ||
        json_array_size(problems) > PROP_PROBLEMS_MAX + 1)
        __builtin_trap();
    if (rc == 0) {
        char name[PROP_EXPORT_NAME_MAX + 1];
        prop_export_name(sub, name, sizeof name);
        json_t *cls = json_pack("{s:s, s:n, s:f, s:[], s:s, s:s}", "category", "other",
                                "subcategory", "confidence", 0.5, "priority_topics",
                                "taxonomy_version", "2023.1", "model_version", "m1");
        json_t *record = NULL;
        struct stdtax_error err;
        bool late = false;
        const char *call = json_string_value(json_object_get(sub, "call"));
        const char *track = json_string_value(json_object_get(sub, "track"));
        prop_deadline_check(&rules, call, track, 1694000000, false, &late);
        if (prop_record_build(sub, cls, 1694000000, late, &record, &err) == 0) {
            json_object_set_new(record, "id", json_string("P2023-000001"));
            prop_record_to_csv_row(record, devnull);
            prop_record_set_status(record, "under-review", "fuzz", 1694000001, &err);
            json_decref(record);
        }
        json_decref(cls);
    }
    json_decref(problems);
    json_decref(sub);
    return 0;
}
