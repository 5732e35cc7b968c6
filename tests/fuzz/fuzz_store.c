/* libFuzzer target for the store's write path: a JSON record (as the proposal module
 * builds them, or anything else) is put into a real LMDB store in a temporary
 * directory, read back (it must be what was put), and deleted; every 256 runs
 * store_check must find counts and indexes consistent with the records.
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdtax/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *store;
static char dir[256];

static void cleanup(void)
{
    char path[300];
    store_close(store);
    store = NULL;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tmpfs when there is one: each put is a durable commit. */
    snprintf(dir, sizeof dir, "%s/fuzz-store-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    struct store_options opts = {.map_size = 1u << 20, .map_size_max = 256u << 20};
    struct stdtax_error err;
    if (store_open(dir, &opts, &store, &err) != 0) {
        fprintf(stderr, "fuzz_store: %s: %s\n", err.field, err.text);
        abort();
    }
    atexit(cleanup);
    return 0;
}

static void check_store(void)
{
    json_t *report = NULL;
    struct stdtax_error err;
    if (store_check(store, &report, &err) != 0)
        __builtin_trap();
    if (!json_is_true(json_object_get(report, "ok"))) {
        char *s = json_dumps(report, JSON_COMPACT);
        fprintf(stderr, "store_check: %s\n", s);
        free(s);
        __builtin_trap();
    }
    json_decref(report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    json_error_t jerr;
    json_t *rec = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!rec)
        return 0;
    char id[STORE_ID_MAX];
    int created = 0;
    struct stdtax_error err;
    /* The key comes from the input, so repeated keys and conflicts are reached. */
    const char *key = json_string_value(json_object_get(rec, "title"));
    int rc = store_proposal_put(store, rec, key, key ? "h1" : NULL, id, &created, &err);
    if (rc == 0 && created) {
        json_t *got = NULL;
        if (store_proposal_get(store, id, &got, &err) != 0)
            __builtin_trap();
        if (!json_equal(got, rec))
            __builtin_trap();
        json_decref(got);
        if (store_proposal_delete(store, id, &err) != 0)
            __builtin_trap();
    }
    json_decref(rec);
    if (++runs % 256 == 0)
        check_store();
    return 0;
}
